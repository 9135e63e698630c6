#!/usr/bin/env bash
# The main job: Extract -> TrainHead -> evaluate, with everything written under one run folder.
#
#   scripts/run-pipeline.sh [--data DIR | --manifest CSV] [--out RUN_DIR] [--model PATH|NAME]
#
# Without arguments: the bundled ORL faces with protocol ORL-7/3 (data/orl-7-3.csv: per person images 1-7 train,
# 8-10 test) and the default backbone, into runs/<timestamp>/. The feature cache is shared between runs
# (runs/cache/<data>-<model>/), so a second run only re-trains and re-evaluates.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  echo
  echo "Options:"
  echo "  --data DIR       image folder, one sub-folder per person; the last 30 % of each person's images (natural order) are the test split"
  echo "  --manifest CSV   manifest path,label[,split]; rows with split=test are evaluated [default: data/orl-7-3.csv]"
  echo "  --out RUN_DIR    run folder [default: runs/<timestamp>]"
  echo "  --model PATH|NAME backbone [default: vgg16-notop if models/vgg16-notop.onnx exists, else the bundled face-trained"
  echo "                   mobilefacenet]; --model resnet18 for the bundled ImageNet ResNet18"
}

data=""
manifest=""
out=""
model=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) data="${2:?--data needs a folder}"; shift 2 ;;
    --manifest) manifest="${2:?--manifest needs a CSV file}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --model) model="${2:?--model needs a path or name}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown argument '$1'; see --help" >&2; exit 2 ;;
  esac
done
if [[ -n "$data" && -n "$manifest" ]]; then
  echo "error: give --data or --manifest, not both" >&2
  exit 2
fi
if [[ -z "$data" && -z "$manifest" ]]; then
  manifest="$REPO_ROOT/data/orl-7-3.csv"
fi
if [[ -n "$data" && ! -d "$data" ]]; then
  echo "error: $data: image folder not found" >&2
  exit 2
fi
if [[ -n "$manifest" && ! -f "$manifest" ]]; then
  echo "error: $manifest: manifest not found" >&2
  exit 2
fi

out="${out:-$REPO_ROOT/runs/$(date -u +%Y%m%dT%H%M%SZ)}"
if [[ -e "$out" ]]; then
  echo "error: $out: already exists; choose another --out" >&2
  exit 2
fi
mkdir -p "$out"

if [[ -n "$data" ]]; then
  # A split for a plain image folder: per person, the last 30 % of the images in natural order are the test set
  # (at least one when the person has two or more images).
  data="$(cd "$data" && pwd)"
  manifest="$out/manifest.csv"
  {
    echo "path,label,split"
    find "$data" -mindepth 2 -type f -not -path '*/.*' -printf '%P\n' | sort -V | awk -F/ '
      { label = $1; n[label]++; row[label, n[label]] = $0; if (!(label in seen)) { seen[label] = 1; order[++labels] = label } }
      END {
        for (i = 1; i <= labels; i++) {
          label = order[i]; count = n[label]; test = int(count * 0.3 + 0.5); if (test == 0 && count >= 2) test = 1
          for (j = 1; j <= count; j++) {
            path = row[label, j]; gsub(/"/, "\"\"", path)
            printf "\"%s\",\"%s\",%s\n", "'"$data"'/" path, label, (j > count - test ? "test" : "train")
          }
        }
      }'
  } > "$manifest"
  source_name="$(basename "$data")"
else
  manifest="$(cd "$(dirname "$manifest")" && pwd)/$(basename "$manifest")"
  source_name="$(basename "$manifest" .csv)"
fi

if [[ -n "$model" ]]; then
  model_name="$(basename "$model")"
elif [[ -f "$REPO_ROOT/models/vgg16-notop.onnx" ]]; then
  model_name="vgg16-notop"
else
  model_name="mobilefacenet"
fi
cache="$REPO_ROOT/runs/cache/${source_name}-${model_name%.*}"
ln -s "$cache" "$out/cache"
model_args=()
[[ -n "$model" ]] && model_args=(--model "$model")

build_if_needed
start=$(date +%s%N)
"$(program_path Extract)" --manifest "$manifest" --out "$cache" "${model_args[@]}"
extracted=$(date +%s%N)
"$(program_path TrainHead)" --features "$cache" --out "$out/head"
trained=$(date +%s%N)
split_args=()
if tail -n +2 "$manifest" | grep -q ',test\r\{0,1\}$'; then
  split_args=(--split test)
else
  echo "note: the manifest has no test split; evaluating on all rows (the training data)" >&2
fi
# Scored from the images (the test split's backbone runs again, a few seconds) rather than from the cache, so the
# report's misclassified.png shows the wrong faces as the backbone saw them.
"$(program_path Predict)" evaluate --head "$out/head" --manifest "$manifest" "${split_args[@]}" --out "$out/report"
finished=$(date +%s%N)

accuracy=$(sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p' "$out/report/metrics.json" | head -n 1)
count=$(sed -n 's/.*"count": *\([0-9]*\).*/\1/p' "$out/report/metrics.json" | head -n 1)
seconds() { printf '%d.%01d' $(( $1 / 1000000000 )) $(( $1 % 1000000000 / 100000000 )); }
echo "timing: extract $(seconds $((extracted - start))) s, train-head $(seconds $((trained - extracted))) s, evaluate $(seconds $((finished - trained))) s" >&2
printf 'test accuracy %.4f on %d images; report: %s (head: %s, cache: %s)\n' "$accuracy" "$count" "$out/report" "$out/head" "$cache"
