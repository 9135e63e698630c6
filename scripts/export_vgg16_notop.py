#!/usr/bin/env python3
"""Export the VGG16 convolutional base ("notop") to ONNX and check the result.

Run by scripts/export-vgg16-notop.sh, inside a venv with the pinned packages or with the interpreter given by
--python (e.g. Debian 12's python3-torch, python3-torchvision, python3-onnx); it can also be run directly in any
environment that has the packages (--check-packages says which are missing, in one line).

--source keras (the design's backbone)
    tf.keras.applications.VGG16(weights=..., include_top=False, input_shape=(224, 224, 3)),
    converted with tf2onnx.convert.from_keras, opset 17, dynamic batch.
    Input  input_1     float [N,224,224,3] NHWC, Keras "caffe" preprocessing ALREADY APPLIED by the caller:
                       RGB->BGR, minus mean [103.939, 116.779, 123.68] (BGR order), no scaling.
    Output block5_pool float [N,7,7,512] NHWC.

--source torchvision (alternative; different preprocessing and layout)
    torchvision.models.vgg16(weights=...).features, torch.onnx.export, opset 17, dynamic batch.
    Input  input       float [N,3,224,224] NCHW, RGB, x/255, minus mean [0.485,0.456,0.406], / std [0.229,0.224,0.225].
    Output block5_pool float [N,512,7,7] NCHW.

--weights
    imagenet  the framework downloads the ImageNet weights (needs internet).
    PATH      a weights file the user already has: torchvision's vgg16-397923af.pth (the full model's state dict;
              the 8 hex digits in the name are checked against the file's SHA-256) or Keras'
              vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 (from ~/.keras/models/).
    random    the exact architecture with seeded random weights (the framework's own initialisation), for tests:
              labelled "pretrained": "none" in the ONNX metadata_props and in the description.

Checks: the ONNX checker; with onnxruntime installed, its output must equal the framework's for the same inputs.
With --reference-dir the framework's inputs and outputs for fixed images are written there, so the same comparison
(and one of the C# preprocessing) runs on the C# side, through FacePipeline's own ONNX Runtime session:
    reference.json      what the files hold (shapes, layout, transform, versions)
    image-K.png         the 224x224 RGB check images (K = 0..N-1; no resize needed)
    input.f32           the framework's preprocessed input for them, float32 little-endian, model layout
    output.f32          the framework's output for input.f32, float32 little-endian, model layout
    resize-source.EXT   a copy of --resize-image (a real photo), and
    resized-pil.png     it resized to 224x224 with PIL bilinear (what torchvision.transforms.Resize does); the last
                        check image is this one.

The preprocessing is NOT part of the ONNX graph; the C# pipeline applies it as described in models/*.json.
With --report PATH a JSON summary (input/output names and shapes, versions, differences) is written for the
shell script, which records the SHA-256 and the model description.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys

KERAS_MEAN_BGR = [103.939, 116.779, 123.68]
TORCH_MEAN_RGB = [0.485, 0.456, 0.406]
TORCH_STD_RGB = [0.229, 0.224, 0.225]
CHECK_BATCH = 2
SIDE = 224

# (distribution name, import name, minimum version, why). Minimums: torchvision 0.13 has the weights= API;
# torch 1.13 exports opset 17; onnx 1.12 checks opset 17; TensorFlow 2.16+ ships Keras 3, which tf2onnx cannot convert.
REQUIREMENTS = {
    "torchvision": [
        ("numpy", "numpy", "1.21", None),
        ("torch", "torch", "1.13", None),
        ("torchvision", "torchvision", "0.13", None),
        ("onnx", "onnx", "1.12", None),
        ("Pillow", "PIL", "8.0", None),
    ],
    "keras": [
        ("numpy", "numpy", "1.21", None),
        ("tensorflow", "tensorflow", "2.9", "2.16"),
        ("tf2onnx", "tf2onnx", "1.14", None),
        ("onnx", "onnx", "1.12", None),
        ("Pillow", "PIL", "8.0", None),
    ],
}
APT_HINT = {
    "torchvision": "Debian 12: apt-get install python3-torch python3-torchvision python3-onnx",
    "keras": "pip install tensorflow-cpu==2.15.1 tf2onnx==1.16.1 onnx==1.16.2",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", choices=["keras", "torchvision"], default="keras")
    parser.add_argument("--weights", default="imagenet", help="imagenet (download), random (seeded, for tests) or a weights file")
    parser.add_argument("--out", help="ONNX file to write")
    parser.add_argument("--report", help="write a JSON summary of the export here")
    parser.add_argument("--reference-dir", help="write the framework's inputs and outputs for fixed images here")
    parser.add_argument("--resize-image", help="a real image for the resize reference (resized-pil.png)")
    parser.add_argument("--check-packages", action="store_true",
                        help="only check the installed packages: print one line, exit 0 if all are there, 3 if not")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--atol", type=float, default=1e-3,
                        help="allowed max |onnx - reference| for outputs of magnitude <= 1 (default 1e-3)")
    parser.add_argument("--rtol", type=float, default=1e-5,
                        help="extra allowance relative to max |reference| (float32 sums over 4608 terms; default 1e-5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights and check images (default 0)")
    args = parser.parse_args(argv)
    if not args.check_packages and not args.out:
        parser.error("--out is required")
    return args


def version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in re.split(r"[.+]", text):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def installed_version(distribution: str, module: str) -> str | None:
    """The installed version, from the package metadata (cheap) or, failing that, the module's __version__."""
    try:
        from importlib import metadata

        return metadata.version(distribution)
    except Exception:  # noqa: BLE001 - any failure means "look at the module instead"
        pass
    try:
        imported = __import__(module)
    except Exception:  # noqa: BLE001 - a broken install counts as missing
        return None
    return str(getattr(imported, "__version__", "0"))


def check_packages(source: str) -> tuple[bool, str]:
    """One line: what is missing or too old (and how to get it), or the versions found."""
    problems, found = [], []
    for distribution, module, minimum, below in REQUIREMENTS[source]:
        version = installed_version(distribution, module)
        wanted = f">={minimum}" + (f",<{below}" if below else "")
        if version is None:
            problems.append(f"{distribution}{wanted} (not installed)")
        elif version_tuple(version) < version_tuple(minimum) or (below and version_tuple(version) >= version_tuple(below)):
            problems.append(f"{distribution}{wanted} (found {version})")
        else:
            found.append(f"{distribution} {version}")
    ort = installed_version("onnxruntime", "onnxruntime")
    found.append(f"onnxruntime {ort}" if ort else "onnxruntime absent (its check then runs on the C# side)")
    python = "%d.%d.%d" % sys.version_info[:3]
    if problems:
        return False, f"{sys.executable} (Python {python}) lacks {', '.join(problems)}; {APT_HINT[source]}, or drop --python to use a venv"
    return True, f"{sys.executable} (Python {python}): {', '.join(found)}"


def weights_kind(weights: str) -> str:
    return weights if weights in ("imagenet", "random") else "file"


def check_weights_file(path: str, source: str) -> str:
    """Checks a user's weights file before the framework reads it; returns its SHA-256."""
    if not os.path.isfile(path):
        raise SystemExit(f"FAILED: --weights {path}: no such file (give imagenet, random or a weights file)")
    expected_ext = ".pth" if source == "torchvision" else ".h5"
    if not path.endswith(expected_ext):
        raise SystemExit(f"FAILED: --weights {path}: --source {source} takes a {expected_ext} file")
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    # torchvision names its downloads <name>-<first hex digits of the SHA-256>.pth and checks them the same way.
    named = re.search(r"-([0-9a-f]{8,64})\.pth$", os.path.basename(path))
    if named and not sha.startswith(named.group(1)):
        raise SystemExit(f"FAILED: --weights {path}: SHA-256 {sha} does not start with {named.group(1)} (damaged or another file)")
    print(f"weights file {path}: SHA-256 {sha}")
    return sha


def weights_note(args: argparse.Namespace, sha: str | None) -> str:
    kind = weights_kind(args.weights)
    if kind == "random":
        return f"random (seed {args.seed}), NOT pretrained"
    if kind == "file":
        return f"ImageNet, from {os.path.basename(args.weights)} (SHA-256 {sha})"
    return "ImageNet, downloaded by the framework"


def random_rgb_images(seed: int, batch: int):
    """Smooth-ish random RGB images in 0..255 (uint8, NHWC): a gradient per image plus noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) / (SIDE - 1)
    images = np.empty((batch, SIDE, SIDE, 3), dtype=np.float32)
    for n in range(batch):
        for c in range(3):
            a, b, base = rng.uniform(-100, 100), rng.uniform(-100, 100), rng.uniform(60, 190)
            images[n, :, :, c] = base + a * xx + b * yy
        images[n] += rng.normal(0.0, 20.0, size=(SIDE, SIDE, 3)).astype(np.float32)
    return np.clip(np.rint(images), 0, 255).astype(np.uint8)


def check_images(args: argparse.Namespace):
    """The fixed check images: random ones, the last replaced by --resize-image resized with PIL bilinear."""
    import numpy as np

    images = random_rgb_images(args.seed, CHECK_BATCH)
    if args.resize_image:
        from PIL import Image

        with Image.open(args.resize_image) as source:
            # torchvision.transforms.Resize on a PIL image is PIL's resize with BILINEAR.
            images[-1] = np.asarray(source.convert("RGB").resize((SIDE, SIDE), Image.BILINEAR), dtype=np.uint8)
    return images


def caffe_preprocess(rgb):
    """Keras "caffe" mode, written out: RGB->BGR, minus the ImageNet mean in BGR order, no scaling."""
    import numpy as np

    return (rgb[..., ::-1].astype(np.float32) - np.asarray(KERAS_MEAN_BGR, dtype=np.float32)).astype(np.float32)


def io_summary(model_path: str) -> dict:
    """Input and output names and shapes, read from the ONNX graph (no onnxruntime needed)."""
    import onnx

    graph = onnx.load(model_path, load_external_data=False).graph
    initializers = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    outputs = list(graph.output)
    if len(inputs) != 1 or len(outputs) != 1:
        raise SystemExit(f"expected one input and one output, found {[i.name for i in inputs]} -> {[o.name for o in outputs]}")

    def dims(value_info) -> list:
        return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in value_info.type.tensor_type.shape.dim]

    return {
        "input_name": inputs[0].name,
        "input_shape": dims(inputs[0]),
        "output_name": outputs[0].name,
        "output_shape": dims(outputs[0]),
    }


def compare(onnx_out, reference, atol: float, rtol: float) -> dict:
    import numpy as np

    diff = float(np.max(np.abs(onnx_out - reference)))
    scale = float(np.max(np.abs(reference)))
    limit = atol + rtol * scale
    print(f"max |onnx - reference| = {diff:.3g} (reference max |x| = {scale:.3g}, allowed {limit:.3g})")
    if not np.all(np.isfinite(onnx_out)):
        raise SystemExit("FAILED: the ONNX output has non-finite values")
    if diff >= limit:
        raise SystemExit(f"FAILED: ONNX and reference differ by {diff:.3g} >= {limit:.3g}")
    return {"max_abs_diff": diff, "reference_max_abs": scale, "allowed": limit}


def onnxruntime_check(args: argparse.Namespace, summary: dict, x, reference, expected_shape: tuple) -> dict:
    """onnxruntime's output for x against the framework's; skipped (and said so) when onnxruntime is absent."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed: the ONNX-versus-framework comparison is left to the C# side (--reference-dir)")
        return {"skipped": "onnxruntime not installed"}
    session = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    onnx_out = session.run([summary["output_name"]], {summary["input_name"]: x})[0]
    if onnx_out.shape != expected_shape:
        raise SystemExit(f"FAILED: output shape {onnx_out.shape}, expected {expected_shape}")
    print(f"onnxruntime {ort.__version__} batch {x.shape[0]}: output shape {onnx_out.shape}")
    return {**compare(onnx_out, reference, args.atol, args.rtol), "onnxruntime": ort.__version__}


def set_metadata(model_proto, props: dict[str, str], doc: str) -> None:
    import onnx

    existing = {p.key: p.value for p in model_proto.metadata_props}
    existing.update(props)
    onnx.helper.set_model_props(model_proto, existing)
    model_proto.doc_string = doc


def write_reference(args: argparse.Namespace, images, x, reference, layout: str, transform: str, versions: dict, weights: str) -> dict:
    """The check images, the framework's input and output for them, and the resize reference (see the module doc)."""
    import numpy as np
    from PIL import Image

    folder = args.reference_dir
    os.makedirs(folder, exist_ok=True)
    names = []
    for n, image in enumerate(images):
        name = f"image-{n}.png"
        Image.fromarray(image, "RGB").save(os.path.join(folder, name))
        names.append(name)
    np.ascontiguousarray(x, dtype="<f4").tofile(os.path.join(folder, "input.f32"))
    np.ascontiguousarray(reference, dtype="<f4").tofile(os.path.join(folder, "output.f32"))
    info = {
        "images": names,
        "width": SIDE,
        "height": SIDE,
        "layout": layout.lower(),
        "input": {"file": "input.f32", "dtype": "float32-le", "shape": list(x.shape)},
        "output": {"file": "output.f32", "dtype": "float32-le", "shape": list(reference.shape),
                   "max_abs": float(np.max(np.abs(reference)))},
        "transform": transform,
        "weights": weights,
        "seed": args.seed,
        "versions": versions,
    }
    if args.resize_image:
        copy = "resize-source" + os.path.splitext(args.resize_image)[1].lower()
        shutil.copyfile(args.resize_image, os.path.join(folder, copy))
        Image.fromarray(images[-1], "RGB").save(os.path.join(folder, "resized-pil.png"))
        with Image.open(args.resize_image) as source:
            size = list(source.size)
        info["resize"] = {"source": copy, "source_size": size, "pil": "resized-pil.png",
                          "filter": "PIL.Image.BILINEAR (torchvision.transforms.Resize on PIL images)",
                          "check_image": names[-1]}
    with open(os.path.join(folder, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(f"wrote reference inputs and outputs to {folder}")
    return info


def export_keras(args: argparse.Namespace, sha: str | None) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import onnx
    import tensorflow as tf
    import tf2onnx

    kind = weights_kind(args.weights)
    if kind == "random":
        tf.keras.utils.set_random_seed(args.seed)
    keras_weights = {"imagenet": "imagenet", "random": None, "file": args.weights}[kind]
    model = tf.keras.applications.VGG16(weights=keras_weights, include_top=False, input_shape=(SIDE, SIDE, 3))
    spec = (tf.TensorSpec((None, SIDE, SIDE, 3), tf.float32, name="input_1"),)
    model_proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=args.opset)
    pretrained = "none" if kind == "random" else "imagenet"
    set_metadata(
        model_proto,
        {
            "source": f"tf.keras.applications.VGG16(weights={keras_weights!r}, include_top=False, input_shape=(224,224,3))",
            "weights": weights_note(args, sha),
            "pretrained": pretrained,
            "preprocessing": "NOT included: caller applies Keras caffe mode (RGB->BGR, minus mean [103.939,116.779,123.68] in BGR order, no scaling)",
            "layout": "NHWC",
            "tensorflow": tf.__version__,
            "tf2onnx": tf2onnx.__version__,
        },
        f"VGG16 convolutional base (include_top=False), block5_pool output; weights: {weights_note(args, sha)}; "
        "exported by scripts/export-vgg16-notop.sh",
    )
    onnx.checker.check_model(model_proto)
    onnx.save(model_proto, args.out)
    print(f"wrote {args.out}")
    summary = io_summary(args.out)
    print(f"input  {summary['input_name']} {summary['input_shape']}")
    print(f"output {summary['output_name']} {summary['output_shape']}")

    images = check_images(args)
    x = caffe_preprocess(images)
    keras_x = tf.keras.applications.vgg16.preprocess_input(images.astype(np.float32))
    pre_diff = float(np.max(np.abs(x - keras_x)))
    if pre_diff > 1e-4:
        raise SystemExit(f"FAILED: our caffe preprocessing differs from keras preprocess_input by {pre_diff}")
    print(f"caffe preprocessing matches keras.applications.vgg16.preprocess_input (max diff {pre_diff:.3g})")
    reference = model.predict(keras_x, verbose=0)
    versions = {"tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__, "onnx": onnx.__version__,
                "numpy": np.__version__, "python": sys.version.split()[0]}
    check = onnxruntime_check(args, summary, keras_x, reference, (CHECK_BATCH, 7, 7, 512))
    if args.reference_dir:
        write_reference(args, images, keras_x, reference, "NHWC",
                        "tf.keras.applications.vgg16.preprocess_input (caffe: RGB->BGR, minus mean)", versions,
                        weights_note(args, sha))
    return {**summary, "source": "keras", "layout": "NHWC", "feature_shape": [7, 7, 512], "pretrained": pretrained,
            "weights": weights_note(args, sha), "check": check, "versions": versions, "opset": args.opset}


def export_torchvision(args: argparse.Namespace, sha: str | None) -> dict:
    import numpy as np
    import onnx
    import torch
    import torchvision
    from torchvision import transforms

    kind = weights_kind(args.weights)
    torch.manual_seed(args.seed)
    if kind == "imagenet":
        net = torchvision.models.vgg16(weights=torchvision.models.VGG16_Weights.IMAGENET1K_V1)
    else:
        net = torchvision.models.vgg16(weights=None)  # random: torchvision's own initialisation, seeded above
        if kind == "file":
            net.load_state_dict(torch.load(args.weights, map_location="cpu"))
    net = net.features.eval()
    dummy = torch.zeros(1, 3, SIDE, SIDE, dtype=torch.float32)
    with torch.no_grad():
        torch.onnx.export(
            net, dummy, args.out,
            input_names=["input"], output_names=["block5_pool"],
            dynamic_axes={"input": {0: "N"}, "block5_pool": {0: "N"}},
            opset_version=args.opset, do_constant_folding=True,
        )
    model_proto = onnx.load(args.out)
    pretrained = "none" if kind == "random" else "imagenet"
    source = {"imagenet": "weights=VGG16_Weights.IMAGENET1K_V1", "random": "weights=None",
              "file": f"weights=None + load_state_dict({os.path.basename(args.weights)})"}[kind]
    set_metadata(
        model_proto,
        {
            "source": f"torchvision.models.vgg16({source}).features",
            "weights": weights_note(args, sha),
            "pretrained": pretrained,
            "preprocessing": "NOT included: caller applies RGB, x/255, minus mean [0.485,0.456,0.406], divided by std [0.229,0.224,0.225]",
            "layout": "NCHW",
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
        },
        f"VGG16 convolutional base (torchvision features), last max pool output; weights: {weights_note(args, sha)}; "
        "exported by scripts/export-vgg16-notop.sh",
    )
    onnx.checker.check_model(model_proto)
    onnx.save(model_proto, args.out)
    print(f"wrote {args.out}")
    summary = io_summary(args.out)
    print(f"input  {summary['input_name']} {summary['input_shape']}")
    print(f"output {summary['output_name']} {summary['output_shape']}")

    images = check_images(args)
    # torchvision's own preprocessing, so the C# side compares against it rather than against our reading of it.
    normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize(TORCH_MEAN_RGB, TORCH_STD_RGB)])
    from PIL import Image

    x = torch.stack([normalize(Image.fromarray(image, "RGB")) for image in images])
    with torch.no_grad():
        reference = net(x).numpy()
    x = x.numpy()
    written = ((images.astype(np.float32) / 255.0 - np.asarray(TORCH_MEAN_RGB, np.float32)) / np.asarray(TORCH_STD_RGB, np.float32))
    pre_diff = float(np.max(np.abs(written.transpose(0, 3, 1, 2) - x)))
    if pre_diff > 1e-5:
        raise SystemExit(f"FAILED: the written-out preprocessing differs from torchvision's Normalize by {pre_diff}")
    print(f"RGB x/255, mean/std preprocessing matches torchvision.transforms.Normalize (max diff {pre_diff:.3g})")
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__,
                "numpy": np.__version__, "python": sys.version.split()[0]}
    check = onnxruntime_check(args, summary, x, reference, (CHECK_BATCH, 512, 7, 7))
    if args.reference_dir:
        write_reference(args, images, x, reference, "NCHW",
                        "torchvision.transforms.Normalize(mean, std)(ToTensor()(PIL RGB image))", versions,
                        weights_note(args, sha))
    return {**summary, "source": "torchvision", "layout": "NCHW", "feature_shape": [512, 7, 7], "pretrained": pretrained,
            "weights": weights_note(args, sha), "check": check, "versions": versions, "opset": args.opset}


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    ok, line = check_packages(args.source)
    if args.check_packages:
        print(line)
        return 0 if ok else 3
    if not ok:
        print(f"FAILED: {line}", file=sys.stderr)
        return 3
    print(line)
    sha = check_weights_file(args.weights, args.source) if weights_kind(args.weights) == "file" else None
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    report = export_keras(args, sha) if args.source == "keras" else export_torchvision(args, sha)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
    print("self-check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
