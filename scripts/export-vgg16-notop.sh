#!/usr/bin/env bash
# Export the ImageNet VGG16 convolutional base ("notop") to ONNX for FacePipeline.
#
# Needs internet access (PyPI, and the pretrained weights from storage.googleapis.com for Keras or
# download.pytorch.org for torchvision) and a Python 3 with the venv module:
#   keras       needs Python 3.9-3.11 (tensorflow-cpu 2.15.1, the last release whose tf.keras is Keras 2,
#               which tf2onnx 1.16.1 converts),
#   torchvision needs Python 3.9-3.12.
#
# What it does:
#   1. creates (or reuses) a venv with pinned packages under ${XDG_CACHE_HOME:-~/.cache}/facepipeline/
#      (or a temporary one with --temp-venv),
#   2. runs scripts/export_vgg16_notop.py: export, onnx checker, onnxruntime self-check,
#   3. prints the SHA-256 of the ONNX file and writes it to <out without .onnx>.sha256 (sha256sum format),
#   4. writes/updates the JSON description beside the model (<out without .onnx>.json) with the input and
#      output names found in the exported file.
#
# Usage:
#   scripts/export-vgg16-notop.sh [--source keras|torchvision] [--out PATH] [--python PYTHON]
#                                 [--temp-venv | --venv DIR]
# Defaults: --source keras --out models/vgg16-notop.onnx (torchvision: models/vgg16-notop-torchvision.onnx).
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

source_kind="keras"
out=""
python_cmd=""
venv_dir=""
temp_venv=0

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

die() {
  echo "export-vgg16-notop: $*" >&2
  exit 1
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --source) [[ $# -ge 2 ]] || die "--source needs a value"; source_kind="$2"; shift 2 ;;
    --source=*) source_kind="${1#*=}"; shift ;;
    --out) [[ $# -ge 2 ]] || die "--out needs a value"; out="$2"; shift 2 ;;
    --out=*) out="${1#*=}"; shift ;;
    --python) [[ $# -ge 2 ]] || die "--python needs a value"; python_cmd="$2"; shift 2 ;;
    --python=*) python_cmd="${1#*=}"; shift ;;
    --venv) [[ $# -ge 2 ]] || die "--venv needs a value"; venv_dir="$2"; shift 2 ;;
    --venv=*) venv_dir="${1#*=}"; shift ;;
    --temp-venv) temp_venv=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

case "$source_kind" in
  keras)
    min_minor=9; max_minor=11
    [[ -n "$out" ]] || out="$repo_root/models/vgg16-notop.onnx"
    ;;
  torchvision)
    min_minor=9; max_minor=12
    [[ -n "$out" ]] || out="$repo_root/models/vgg16-notop-torchvision.onnx"
    # models/vgg16-notop.onnx is described by models/vgg16-notop.json (Keras: NHWC, BGR caffe preprocessing);
    # a torchvision (NCHW, RGB /255 mean/std) export under that name would be fed the wrong input.
    [[ "$(basename "$out")" != "vgg16-notop.onnx" ]] \
      || die "--source torchvision must not write vgg16-notop.onnx (that name is the Keras export); use e.g. --out models/vgg16-notop-torchvision.onnx"
    ;;
  *) die "--source must be keras or torchvision, not '$source_kind'" ;;
esac
[[ "$out" == *.onnx ]] || die "--out must end in .onnx: $out"

out_dir="$(dirname "$out")"
mkdir -p "$out_dir"
out="$(cd "$out_dir" && pwd)/$(basename "$out")"
stem="${out%.onnx}"
json_path="$stem.json"
sha_path="$stem.sha256"

# Pick a Python whose version the pinned wheels support.
python_ok() {
  "$1" -c "import sys, venv; sys.exit(0 if (3, $min_minor) <= sys.version_info[:2] <= (3, $max_minor) else 1)" 2>/dev/null
}
if [[ -z "$python_cmd" ]]; then
  for candidate in python3.11 python3.10 python3.12 python3.9 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      python_cmd="$candidate"
      break
    fi
  done
  [[ -n "$python_cmd" ]] || die "no Python 3.$min_minor-3.$max_minor with the venv module found (the $source_kind pins need one); pass --python"
else
  python_ok "$python_cmd" || die "$python_cmd is not Python 3.$min_minor-3.$max_minor with the venv module"
fi

if [[ "$source_kind" == "keras" ]]; then
  pins_text="${KERAS_PINS[*]}"
else
  pins_text="${TORCH_PINS[*]} ${TORCH_OTHER_PINS[*]} $TORCH_CPU_INDEX"
fi
py_version="$("$python_cmd" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
pins_hash="$(printf '%s %s' "$py_version" "$pins_text" | sha256sum | cut -c1-12)"

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/vgg16-export.XXXXXX")"
cleanup() { rm -rf "$work_dir"; }
trap cleanup EXIT

if [[ $temp_venv -eq 1 ]]; then
  venv_dir="$work_dir/venv"
elif [[ -z "$venv_dir" ]]; then
  venv_dir="${XDG_CACHE_HOME:-$HOME/.cache}/facepipeline/vgg16-export-venv/$source_kind-py$py_version-$pins_hash"
fi

venv_python="$venv_dir/bin/python"
if [[ -f "$venv_dir/.facepipeline-pins" ]] && [[ "$(cat "$venv_dir/.facepipeline-pins")" == "$pins_text" ]]; then
  echo "Reusing venv $venv_dir"
else
  echo "Creating venv $venv_dir with $python_cmd (Python $py_version)"
  rm -rf "$venv_dir"
  mkdir -p "$(dirname "$venv_dir")"
  "$python_cmd" -m venv "$venv_dir"
  pip_install=("$venv_python" -m pip install --disable-pip-version-check --no-input)
  "${pip_install[@]}" --upgrade "pip>=23"
  if [[ "$source_kind" == "keras" ]]; then
    "${pip_install[@]}" "${KERAS_PINS[@]}"
  else
    "${pip_install[@]}" --extra-index-url "$TORCH_CPU_INDEX" "${TORCH_PINS[@]}" "${TORCH_OTHER_PINS[@]}"
  fi
  printf '%s' "$pins_text" > "$venv_dir/.facepipeline-pins"
fi

report="$work_dir/report.json"
echo "Exporting VGG16-notop ($source_kind) to $out"
"$venv_python" "$script_dir/export_vgg16_notop.py" --source "$source_kind" --out "$out" --report "$report"

sha="$(sha256sum "$out" | cut -d' ' -f1)"
printf '%s  %s\n' "$sha" "$(basename "$out")" > "$sha_path"

# Write/update the description beside the model, keeping any fields already there.
"$venv_python" - "$source_kind" "$out" "$json_path" "$report" <<'PY'
import json
import os
import sys

source, out, json_path, report_path = sys.argv[1:5]
with open(report_path, encoding="utf-8") as f:
    report = json.load(f)

if source == "keras":
    template = {
        "name": "vgg16-notop",
        "summary": 'Keras VGG16(weights="imagenet", include_top=False, input_shape=(224,224,3)) exported to ONNX by scripts/export-vgg16-notop.sh; block5_pool feature map.',
        "pretrained": "imagenet",
        "model": None,
        "input": {"name": None, "layout": "nhwc", "width": 224, "height": 224, "channels": 3},
        "preprocessing": {"resize": "stretch", "channel_order": "bgr", "scale": 1.0, "mean": [103.939, 116.779, 123.68]},
        "output": {"name": None, "shape": [7, 7, 512], "pooling": "none"},
    }
else:
    template = {
        "name": "vgg16-notop-torchvision",
        "summary": "torchvision vgg16(weights=IMAGENET1K_V1).features exported to ONNX by scripts/export-vgg16-notop.sh --source torchvision; last max-pool feature map.",
        "pretrained": "imagenet",
        "model": None,
        "input": {"name": None, "layout": "nchw", "width": 224, "height": 224, "channels": 3},
        "preprocessing": {"resize": "stretch", "channel_order": "rgb", "scale": 1.0 / 255.0,
                          "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
        "output": {"name": None, "shape": [512, 7, 7], "pooling": "none"},
    }

description = template
if os.path.exists(json_path):
    with open(json_path, encoding="utf-8") as f:
        description = json.load(f)
    for key, value in template.items():
        description.setdefault(key, value)

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
print(f"versions {json.dumps(report['versions'])}")
PY

echo "wrote $sha_path"
echo "SHA-256 $sha  $(basename "$out")"
