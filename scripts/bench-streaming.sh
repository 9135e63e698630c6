#!/usr/bin/env bash
# Streaming TrainHead benchmark (issue 13): a synthetic VGG16-width cache (25 088 floats per row) larger than the
# memory budget is trained streamed, and a set that fits is trained in memory; each run's peak RSS
# (/usr/bin/time -v, "Maximum resident set size") and seconds per epoch are printed. The cache is deleted afterwards.
#
# Usage: scripts/bench-streaming.sh [--rows N] [--fit-rows N] [--budget SIZE] [--epochs N] [--work DIR]
#   --rows N       rows of the large cache [default: 20000, about 2 GB]
#   --fit-rows N   rows of the cache trained in memory [default: 2000]
#   --budget SIZE  --memory-budget of the streamed run [default: 512MiB]
#   --epochs N     epochs per run [default: 1]
#   --work DIR     scratch folder [default: bench/work/streaming]
set -euo pipefail
rows=20000; fit_rows=2000; budget=512MiB; epochs=1; work=bench/work/streaming
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --fit-rows) fit_rows="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) echo "error: $1: unknown option; see the usage at the top of $0" >&2; exit 2 ;;
  esac
done
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time: not installed; apt-get install time" >&2; exit 2; }
cd "$(dirname "$0")/.."
dotnet build -c Release -v q src/TrainHead >/dev/null
dotnet build -c Release -v q bench/FacePipeline.Bench >/dev/null
bench=bench/FacePipeline.Bench/bin/Release/net10.0/FacePipeline.Bench.dll
train=src/TrainHead/bin/Release/net10.0/TrainHead.dll
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

run() { # NAME CACHE ARGS...: one TrainHead run, its peak RSS and seconds per epoch
  local name=$1 cache=$2; shift 2
  /usr/bin/time -v dotnet "$train" --features "$cache" --out "$work/head-$name" --epochs "$epochs" "$@" 2> "$work/$name.log" >/dev/null
  local peak; peak=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print int($2 / 1024) }' "$work/$name.log")
  local epoch; epoch=$(grep -o '^epoch [0-9]*/[0-9]*: .*(\([0-9.]*\) s)' "$work/$name.log" | sed 's/.*(\([0-9.]*\) s)/\1/' | awk '{ s += $1; n++ } END { printf "%.1f", s / n }')
  echo "$name: $(grep -m1 -o 'train-head: \(streaming\|in memory\)[^;]*' "$work/$name.log"); peak RSS ${peak} MiB; ${epoch} s per epoch"
}

dotnet "$bench" synthetic-cache "$work/large" --rows "$rows"
echo "large cache: $rows rows x 25088 floats, $(du -sm "$work/large" | cut -f1) MiB on disk"
run streamed "$work/large" --memory-budget "$budget"
dotnet "$bench" synthetic-cache "$work/fits" --rows "$fit_rows"
run in-memory "$work/fits" --streaming never
run fits-streamed "$work/fits" --streaming always --memory-budget "$budget"
