#!/usr/bin/env python3
"""Export the ImageNet VGG16 convolutional base ("notop") to ONNX and check the result.

Run by scripts/export-vgg16-notop.sh inside a venv that holds the pinned packages; it can also be
run directly in any environment that has them.

--source keras (the design's backbone)
    tf.keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(224, 224, 3)),
    converted with tf2onnx.convert.from_keras, opset 17, dynamic batch.
    Input  input_1     float [N,224,224,3] NHWC, Keras "caffe" preprocessing ALREADY APPLIED by the caller:
                       RGB->BGR, minus mean [103.939, 116.779, 123.68] (BGR order), no scaling.
    Output block5_pool float [N,7,7,512] NHWC.
    Self-check: onnxruntime output shape (2,7,7,512) for a batch of 2, and the ONNX output agrees with
    model.predict on randomly generated preprocessed images.

--source torchvision (alternative; different preprocessing and layout)
    torchvision.models.vgg16(weights=IMAGENET1K_V1).features, torch.onnx.export, opset 17, dynamic batch.
    Input  input       float [N,3,224,224] NCHW, RGB, x/255, minus mean [0.485,0.456,0.406], / std [0.229,0.224,0.225].
    Output block5_pool float [N,512,7,7] NCHW.
    Self-check: onnxruntime output shape (2,512,7,7) and agreement with the PyTorch module.

The preprocessing is NOT part of the ONNX graph; the C# pipeline applies it as described in models/*.json.
With --report PATH a JSON summary (input/output names and shapes, versions, differences) is written for the
shell script, which records the SHA-256 and the model description.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

KERAS_MEAN_BGR = [103.939, 116.779, 123.68]
TORCH_MEAN_RGB = [0.485, 0.456, 0.406]
TORCH_STD_RGB = [0.229, 0.224, 0.225]
CHECK_BATCH = 2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", choices=["keras", "torchvision"], default="keras")
    parser.add_argument("--out", required=True, help="ONNX file to write")
    parser.add_argument("--report", help="write a JSON summary of the export here")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--atol", type=float, default=1e-3,
                        help="allowed max |onnx - reference| for outputs of magnitude <= 1 (default 1e-3)")
    parser.add_argument("--rtol", type=float, default=1e-5,
                        help="extra allowance relative to max |reference| (float32 sums over 4608 terms; default 1e-5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random check images")
    return parser.parse_args(argv)


def random_rgb_images(seed: int, batch: int):
    """Smooth-ish random RGB images in 0..255 (float32, NHWC): a gradient per image plus noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:224, 0:224].astype(np.float32) / 223.0
    images = np.empty((batch, 224, 224, 3), dtype=np.float32)
    for n in range(batch):
        for c in range(3):
            a, b, base = rng.uniform(-100, 100), rng.uniform(-100, 100), rng.uniform(60, 190)
            images[n, :, :, c] = base + a * xx + b * yy
        images[n] += rng.normal(0.0, 20.0, size=(224, 224, 3)).astype(np.float32)
    return np.clip(images, 0.0, 255.0)


def caffe_preprocess(rgb):
    """Keras "caffe" mode, written out: RGB->BGR, minus the ImageNet mean in BGR order, no scaling."""
    import numpy as np

    return (rgb[..., ::-1] - np.asarray(KERAS_MEAN_BGR, dtype=np.float32)).astype(np.float32)


def io_summary(session) -> dict:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or len(outputs) != 1:
        raise SystemExit(f"expected one input and one output, found {[i.name for i in inputs]} -> {[o.name for o in outputs]}")
    return {
        "input_name": inputs[0].name,
        "input_shape": [d if isinstance(d, int) else str(d) for d in inputs[0].shape],
        "output_name": outputs[0].name,
        "output_shape": [d if isinstance(d, int) else str(d) for d in outputs[0].shape],
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


def set_metadata(model_proto, props: dict[str, str], doc: str) -> None:
    import onnx

    existing = {p.key: p.value for p in model_proto.metadata_props}
    existing.update(props)
    onnx.helper.set_model_props(model_proto, existing)
    model_proto.doc_string = doc


def export_keras(args: argparse.Namespace) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import onnx
    import onnxruntime as ort
    import tensorflow as tf
    import tf2onnx

    model = tf.keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
    spec = (tf.TensorSpec((None, 224, 224, 3), tf.float32, name="input_1"),)
    model_proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=args.opset)
    set_metadata(
        model_proto,
        {
            "source": 'tf.keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(224,224,3))',
            "preprocessing": "NOT included: caller applies Keras caffe mode (RGB->BGR, minus mean [103.939,116.779,123.68] in BGR order, no scaling)",
            "layout": "NHWC",
            "tensorflow": tf.__version__,
            "tf2onnx": tf2onnx.__version__,
        },
        "VGG16 ImageNet convolutional base (include_top=False), block5_pool output; exported by scripts/export-vgg16-notop.sh",
    )
    onnx.checker.check_model(model_proto)
    onnx.save(model_proto, args.out)
    print(f"wrote {args.out}")

    session = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    summary = io_summary(session)
    print(f"input  {summary['input_name']} {summary['input_shape']}")
    print(f"output {summary['output_name']} {summary['output_shape']}")

    rgb = random_rgb_images(args.seed, CHECK_BATCH)
    x = caffe_preprocess(rgb)
    keras_x = tf.keras.applications.vgg16.preprocess_input(rgb.copy())
    pre_diff = float(np.max(np.abs(x - keras_x)))
    if pre_diff > 1e-4:
        raise SystemExit(f"FAILED: our caffe preprocessing differs from keras preprocess_input by {pre_diff}")
    print(f"caffe preprocessing matches keras.applications.vgg16.preprocess_input (max diff {pre_diff:.3g})")

    onnx_out = session.run([summary["output_name"]], {summary["input_name"]: x})[0]
    if onnx_out.shape != (CHECK_BATCH, 7, 7, 512):
        raise SystemExit(f"FAILED: output shape {onnx_out.shape}, expected {(CHECK_BATCH, 7, 7, 512)}")
    print(f"onnxruntime batch {CHECK_BATCH}: output shape {onnx_out.shape}")
    reference = model.predict(x, verbose=0)
    check = compare(onnx_out, reference, args.atol, args.rtol)

    return {
        **summary,
        "source": "keras",
        "layout": "NHWC",
        "feature_shape": [7, 7, 512],
        "check": check,
        "versions": {"tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__, "onnx": onnx.__version__,
                     "onnxruntime": ort.__version__, "numpy": np.__version__, "python": sys.version.split()[0]},
        "opset": args.opset,
    }


def export_torchvision(args: argparse.Namespace) -> dict:
    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch
    import torchvision

    weights = torchvision.models.VGG16_Weights.IMAGENET1K_V1
    net = torchvision.models.vgg16(weights=weights).features.eval()
    dummy = torch.zeros(1, 3, 224, 224, dtype=torch.float32)
    with torch.no_grad():
        torch.onnx.export(
            net, dummy, args.out,
            input_names=["input"], output_names=["block5_pool"],
            dynamic_axes={"input": {0: "N"}, "block5_pool": {0: "N"}},
            opset_version=args.opset, do_constant_folding=True,
        )
    model_proto = onnx.load(args.out)
    set_metadata(
        model_proto,
        {
            "source": "torchvision.models.vgg16(weights=VGG16_Weights.IMAGENET1K_V1).features",
            "preprocessing": "NOT included: caller applies RGB, x/255, minus mean [0.485,0.456,0.406], divided by std [0.229,0.224,0.225]",
            "layout": "NCHW",
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
        },
        "VGG16 ImageNet convolutional base (torchvision features), last max pool output; exported by scripts/export-vgg16-notop.sh",
    )
    onnx.checker.check_model(model_proto)
    onnx.save(model_proto, args.out)
    print(f"wrote {args.out}")

    session = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    summary = io_summary(session)
    print(f"input  {summary['input_name']} {summary['input_shape']}")
    print(f"output {summary['output_name']} {summary['output_shape']}")

    rgb = random_rgb_images(args.seed, CHECK_BATCH)
    mean = np.asarray(TORCH_MEAN_RGB, dtype=np.float32)
    std = np.asarray(TORCH_STD_RGB, dtype=np.float32)
    x = ((rgb / 255.0 - mean) / std).astype(np.float32).transpose(0, 3, 1, 2).copy()

    onnx_out = session.run([summary["output_name"]], {summary["input_name"]: x})[0]
    if onnx_out.shape != (CHECK_BATCH, 512, 7, 7):
        raise SystemExit(f"FAILED: output shape {onnx_out.shape}, expected {(CHECK_BATCH, 512, 7, 7)}")
    print(f"onnxruntime batch {CHECK_BATCH}: output shape {onnx_out.shape}")
    with torch.no_grad():
        reference = net(torch.from_numpy(x)).numpy()
    check = compare(onnx_out, reference, args.atol, args.rtol)

    return {
        **summary,
        "source": "torchvision",
        "layout": "NCHW",
        "feature_shape": [512, 7, 7],
        "check": check,
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__,
                     "onnxruntime": ort.__version__, "numpy": np.__version__, "python": sys.version.split()[0]},
        "opset": args.opset,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    report = export_keras(args) if args.source == "keras" else export_torchvision(args)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
    print("self-check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
