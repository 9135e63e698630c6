#!/usr/bin/env bash
# Export the VGG16 convolutional base ("notop") to ONNX for FacePipeline.
#
# Usage:
#   scripts/export-vgg16-notop.sh [--source keras|torchvision] [--weights imagenet|random|FILE] [--out PATH]
#                                 [--python PYTHON | --temp-venv | --venv DIR] [--venv-python PYTHON]
#                                 [--reference-dir DIR] [--resize-image IMAGE] [--check]
#
#   --source        keras (default; the design's backbone) or torchvision. Default: keras, or the kind of
#                   --weights FILE (.h5 keras, .pth torchvision).
#   --weights       imagenet: the framework downloads the ImageNet weights (needs internet);
#                   FILE: a weights file you already have (torchvision's vgg16-397923af.pth, or Keras'
#                   vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 from ~/.keras/models/);
#                   random: the exact architecture with seeded random weights, for tests only: the model's
#                   metadata and its description say "pretrained": "none" and the programs warn when they run it.
#                   Default: imagenet.
#   --out           ONNX file to write. Default: models/vgg16-notop.onnx (keras), models/vgg16-notop-torchvision.onnx
#                   (torchvision), with "-random" before ".onnx" for --weights random.
#   --python        use this interpreter and the packages installed for it, no venv (e.g. /usr/bin/python3 with
#                   Debian 12's python3-torch python3-torchvision python3-onnx); what is missing is said in one line.
#                   Default: none (a venv with pinned packages from PyPI, which needs internet).
#   --venv DIR      the venv to create or reuse. Default: ~/.cache/facepipeline/vgg16-export-venv/<kind>-<pins hash>.
#   --temp-venv     a throw-away venv instead. Default: off.
#   --venv-python   the interpreter the venv is made from. Default: the first of python3.11, 3.10, 3.12, 3.9, python3
#                   that the pins support (keras: Python 3.9-3.11, torchvision: 3.9-3.12).
#   --reference-dir also write the framework's inputs and outputs for fixed images there (reference.json, image-K.png,
#                   input.f32, output.f32, resized-pil.png), for the C# parity checks. Default: none.
#   --resize-image  the real image whose PIL-bilinear resize goes into the reference folder.
#                   Default: data/orl-faces/s1/1.pgm.
#   --check         only check the packages (one line; exit 3 when something is missing). Default: off.
#
# What it does:
#   1. uses --python, or creates (or reuses) a venv with pinned packages,
#   2. runs scripts/export_vgg16_notop.py: export, onnx checker, onnxruntime self-check where onnxruntime is
#      installed (Debian has none: the C# test compares through FacePipeline's own session, from --reference-dir),
#   3. prints the SHA-256 of the ONNX file and writes it to <out without .onnx>.sha256 (sha256sum format),
#   4. writes/updates the JSON description beside the model (<out without .onnx>.json) with the input and
#      output names found in the exported file and what the weights are ("pretrained").
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"

# Pinned versions. Changing any of them changes the venv directory (a fresh install) and, most likely,
# the bytes (SHA-256) of the exported file.
KERAS_PINS=(
  "tensorflow-cpu==2.15.1"
  "tf2onnx==1.16.1"
  "onnx==1.16.2"
  "onnxruntime==1.18.1"
  "protobuf==3.20.3"
  "numpy==1.26.4"
  "pillow==10.4.0"
)
TORCH_PINS=(
  "torch==2.4.1+cpu"
  "torchvision==0.19.1+cpu"
)
TORCH_OTHER_PINS=(
  "onnx==1.16.2"
  "onnxruntime==1.19.2"
  "numpy==1.26.4"
)
TORCH_CPU_INDEX="https://download.pytorch.org/whl/cpu"

source_kind=""
weights="imagenet"
out=""
python_cmd=""
venv_python_cmd=""
venv_dir=""
temp_venv=0
reference_dir=""
resize_image="$repo_root/data/orl-faces/s1/1.pgm"
check_only=0

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

die() {
  echo "export-vgg16-notop: $*" >&2
  exit 1
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --source|--weights|--out|--python|--venv|--venv-python|--reference-dir|--resize-image)
      [[ $# -ge 2 ]] || die "$1 needs a value"
      name="${1#--}"; value="$2"; shift 2 ;;
    --source=*|--weights=*|--out=*|--python=*|--venv=*|--venv-python=*|--reference-dir=*|--resize-image=*)
      name="${1%%=*}"; name="${name#--}"; value="${1#*=}"; shift ;;
    --temp-venv) temp_venv=1; shift; continue ;;
    --check) check_only=1; shift; continue ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  case "$name" in
    source) source_kind="$value" ;;
    weights) weights="$value" ;;
    out) out="$value" ;;
    python) python_cmd="$value" ;;
    venv) venv_dir="$value" ;;
    venv-python) venv_python_cmd="$value" ;;
    reference-dir) reference_dir="$value" ;;
    resize-image) resize_image="$value" ;;
  esac
done

# --weights FILE says which framework it is for; --source, when given, must agree.
case "$weights" in
  imagenet|random) ;;
  *.h5) [[ -n "$source_kind" ]] || source_kind="keras"
        [[ "$source_kind" == "keras" ]] || die "--weights $weights is a Keras .h5 file; use --source keras" ;;
  *.pth) [[ -n "$source_kind" ]] || source_kind="torchvision"
         [[ "$source_kind" == "torchvision" ]] || die "--weights $weights is a torchvision .pth file; use --source torchvision" ;;
  *) die "--weights must be imagenet, random, or a .pth (torchvision) or .h5 (Keras) file, not '$weights'" ;;
esac
if [[ "$weights" != "imagenet" && "$weights" != "random" ]]; then
  [[ -f "$weights" ]] || die "--weights $weights: no such file"
  weights="$(cd "$(dirname "$weights")" && pwd)/$(basename "$weights")"
fi
[[ -n "$source_kind" ]] || source_kind="keras"
[[ $temp_venv -eq 0 || -z "$python_cmd" ]] || die "--python uses that interpreter without a venv; drop --temp-venv"
[[ -z "$venv_dir" || -z "$python_cmd" ]] || die "--python uses that interpreter without a venv; drop --venv"

random_suffix=""
[[ "$weights" != "random" ]] || random_suffix="-random"
case "$source_kind" in
  keras)
    min_minor=9; max_minor=11
    [[ -n "$out" ]] || out="$repo_root/models/vgg16-notop$random_suffix.onnx"
    ;;
  torchvision)
    min_minor=9; max_minor=12
    [[ -n "$out" ]] || out="$repo_root/models/vgg16-notop-torchvision$random_suffix.onnx"
    # models/vgg16-notop.onnx is described by models/vgg16-notop.json (Keras: NHWC, BGR caffe preprocessing);
    # a torchvision (NCHW, RGB /255 mean/std) export under that name would be fed the wrong input.
    [[ "$(basename "$out")" != "vgg16-notop.onnx" ]] \
      || die "--source torchvision must not write vgg16-notop.onnx (that name is the Keras export); use e.g. --out models/vgg16-notop-torchvision.onnx"
    ;;
  *) die "--source must be keras or torchvision, not '$source_kind'" ;;
esac
[[ "$out" == *.onnx ]] || die "--out must end in .onnx: $out"
# The programs pick vgg16-notop.onnx without being asked; random weights must never sit under that name.
[[ "$weights" != "random" || "$(basename "$out")" != "vgg16-notop.onnx" ]] \
  || die "--weights random must not write vgg16-notop.onnx (the programs use that file by default); use e.g. --out models/vgg16-notop-random.onnx"
if [[ -n "$reference_dir" ]]; then
  [[ -f "$resize_image" ]] || die "--resize-image $resize_image: no such file"
fi

out_dir="$(dirname "$out")"
mkdir -p "$out_dir"
out="$(cd "$out_dir" && pwd)/$(basename "$out")"
stem="${out%.onnx}"
json_path="$stem.json"
sha_path="$stem.sha256"

export_py=("$script_dir/export_vgg16_notop.py" --source "$source_kind")
work_dir="$(mktemp -d "${TMPDIR:-/tmp}/vgg16-export.XXXXXX")"
cleanup() { rm -rf "$work_dir"; }
trap cleanup EXIT

if [[ -n "$python_cmd" ]]; then
  command -v "$python_cmd" >/dev/null 2>&1 || die "--python $python_cmd: not found"
  # One line: the versions found, or what is missing and how to get it.
  if ! check_line="$("$python_cmd" "${export_py[@]}" --check-packages)"; then
    echo "export-vgg16-notop: $check_line" >&2
    exit 3
  fi
  [[ $check_only -eq 0 ]] || exit 0
  run_python="$python_cmd"
else
  # Pick a Python whose version the pinned wheels support.
  python_ok() {
    "$1" -c "import sys, venv; sys.exit(0 if (3, $min_minor) <= sys.version_info[:2] <= (3, $max_minor) else 1)" 2>/dev/null
  }
  if [[ -z "$venv_python_cmd" ]]; then
    for candidate in python3.11 python3.10 python3.12 python3.9 python3; do
      if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
        venv_python_cmd="$candidate"
        break
      fi
    done
    [[ -n "$venv_python_cmd" ]] || die "no Python 3.$min_minor-3.$max_minor with the venv module found (the $source_kind pins need one); pass --venv-python, or --python to use installed packages"
  else
    python_ok "$venv_python_cmd" || die "$venv_python_cmd is not Python 3.$min_minor-3.$max_minor with the venv module"
  fi

  if [[ "$source_kind" == "keras" ]]; then
    pins_text="${KERAS_PINS[*]}"
  else
    pins_text="${TORCH_PINS[*]} ${TORCH_OTHER_PINS[*]} $TORCH_CPU_INDEX"
  fi
  py_version="$("$venv_python_cmd" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  pins_hash="$(printf '%s %s' "$py_version" "$pins_text" | sha256sum | cut -c1-12)"

  if [[ $temp_venv -eq 1 ]]; then
    venv_dir="$work_dir/venv"
  elif [[ -z "$venv_dir" ]]; then
    venv_dir="${XDG_CACHE_HOME:-$HOME/.cache}/facepipeline/vgg16-export-venv/$source_kind-py$py_version-$pins_hash"
  fi

  run_python="$venv_dir/bin/python"
  if [[ -f "$venv_dir/.facepipeline-pins" ]] && [[ "$(cat "$venv_dir/.facepipeline-pins")" == "$pins_text" ]]; then
    echo "Reusing venv $venv_dir"
  else
    [[ $check_only -eq 0 ]] || die "no venv with the pins at $venv_dir yet (the export creates it)"
    echo "Creating venv $venv_dir with $venv_python_cmd (Python $py_version)"
    rm -rf "$venv_dir"
    mkdir -p "$(dirname "$venv_dir")"
    "$venv_python_cmd" -m venv "$venv_dir"
    pip_install=("$run_python" -m pip install --disable-pip-version-check --no-input)
    "${pip_install[@]}" --upgrade "pip>=23"
    if [[ "$source_kind" == "keras" ]]; then
      "${pip_install[@]}" "${KERAS_PINS[@]}"
    else
      "${pip_install[@]}" --extra-index-url "$TORCH_CPU_INDEX" "${TORCH_PINS[@]}" "${TORCH_OTHER_PINS[@]}"
    fi
    printf '%s' "$pins_text" > "$venv_dir/.facepipeline-pins"
  fi
  if [[ $check_only -eq 1 ]]; then
    "$run_python" "${export_py[@]}" --check-packages
    exit $?
  fi
fi

report="$work_dir/report.json"
extra=()
[[ -z "$reference_dir" ]] || extra=(--reference-dir "$reference_dir" --resize-image "$resize_image")
echo "Exporting VGG16-notop ($source_kind, weights $weights) to $out"
"$run_python" "${export_py[@]}" --weights "$weights" --out "$out" --report "$report" "${extra[@]}"

sha="$(sha256sum "$out" | cut -d' ' -f1)"
printf '%s  %s\n' "$sha" "$(basename "$out")" > "$sha_path"

# Write/update the description beside the model, keeping any fields already there except those the export decides.
"$run_python" - "$source_kind" "$out" "$json_path" "$report" <<'PY'
import json
import os
import sys

source, out, json_path, report_path = sys.argv[1:5]
with open(report_path, encoding="utf-8") as f:
    report = json.load(f)

if source == "keras":
    summary = ('Keras VGG16(include_top=False, input_shape=(224,224,3)) exported to ONNX by '
               'scripts/export-vgg16-notop.sh; block5_pool feature map')
    template = {
        "name": "vgg16-notop",
        "summary": None,
        "pretrained": None,
        "model": None,
        "input": {"name": None, "layout": "nhwc", "width": 224, "height": 224, "channels": 3},
        "preprocessing": {"resize": "stretch", "channel_order": "bgr", "scale": 1.0, "mean": [103.939, 116.779, 123.68]},
        "output": {"name": None, "shape": [7, 7, 512], "pooling": "none"},
    }
else:
    summary = ("torchvision vgg16().features exported to ONNX by scripts/export-vgg16-notop.sh --source torchvision; "
               "last max-pool feature map")
    template = {
        "name": "vgg16-notop-torchvision",
        "summary": None,
        "pretrained": None,
        "model": None,
        "input": {"name": None, "layout": "nchw", "width": 224, "height": 224, "channels": 3},
        "preprocessing": {"resize": "stretch", "channel_order": "rgb", "scale": 1.0 / 255.0,
                          "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
        "output": {"name": None, "shape": [512, 7, 7], "pooling": "none"},
    }
template["name"] = os.path.splitext(os.path.basename(out))[0]

description = template
if os.path.exists(json_path):
    with open(json_path, encoding="utf-8") as f:
        description = json.load(f)
    for key, value in template.items():
        description.setdefault(key, value)

description["summary"] = f"{summary}; weights: {report['weights']}."
description["pretrained"] = report["pretrained"]
description["model"] = os.path.basename(out)
description["input"]["name"] = report["input_name"]
description["input"]["layout"] = report["layout"].lower()  # enums are lower-case in descriptions
description["output"]["name"] = report["output_name"]
description["output"]["shape"] = report["feature_shape"]

lines = [f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in description.items()]
with open(json_path, "w", encoding="utf-8") as f:
    f.write("{\n" + ",\n".join(lines) + "\n}\n")
print(f"wrote {json_path}")
print(f"input  {report['input_name']} {report['input_shape']}")
print(f"output {report['output_name']} {report['output_shape']}")
print(f"pretrained {report['pretrained']} ({report['weights']})")
print(f"versions {json.dumps(report['versions'])} opset {report['opset']}")
PY

echo "wrote $sha_path"
echo "SHA-256 $sha  $(basename "$out")"
