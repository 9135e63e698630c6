#!/usr/bin/env bash
# The head benchmark of issue 17: the development protocols on lfw-dev (mobilefacenet, face stage detect) for the mlp,
# prototype and auto heads, and the synthetic scale (20 000 people x 5 rows x 128 and 512 features). Prints Markdown
# tables on stdout for bench/RESULTS.md; logs and reports stay in --work.
#
# Usage: scripts/bench-heads.sh [--lfw DIR] [--skip-lfw] [--skip-scale] [--no-mlp-epoch] [--people N] [--flip-tta on|off] [--work DIR]
#   --lfw DIR      lfw-dev folder, one sub-folder per person [default: ../shared/data/lfw-dev]
#   --skip-lfw     leave the lfw-dev protocols out [default: run them]
#   --skip-scale   leave the synthetic scale out [default: run it]
#   --no-mlp-epoch leave out the timed one-epoch mlp run of the scale (70 s on a quiet box, 15 min under load)
#                  [default: run it]
#   --people N     synthetic people [default: 20000]
#   --flip-tta on|off  Extract's flip test-time augmentation for the lfw-dev caches [default: off]
#   --work DIR     working folder, replaced [default: bench/work/heads]
#
# Protocols (people and photos in byte order of their names; never a random split, so reruns agree):
#   few-shot K (K = 1, 2): per person the first K photos train, the rest test; TrainHead defaults (15 % validation,
#     so K = 1 gives auto no validation rows and K = 2 one per person).
#   open-set: person i (in name order) is known when i mod 4 is 0 or 1, a calibration stranger when 2, a test stranger
#     when 3; a known person's even photos train, odd photos test; the test strangers' photos are split test in the
#     known cache (TrainHead never reads test rows). TrainHead --unknowns CALIB --target-far 0.01 and 0.001; evaluate --split test
#     gives DIR on the known test photos and the FAR reached on the test strangers.
# Synthetic scale: TrainHead --head prototype, --head mlp --epochs 1 (seconds per epoch), auto (default budget), each
# with its peak RSS (/usr/bin/time -v), then Predict evaluate of the prototype head on 20 000 fresh rows (one per person).
set -euo pipefail
lfw=../shared/data/lfw-dev; flip=off; skip_lfw=0; skip_scale=0; mlp_epoch=1; people=20000; work=bench/work/heads
while [[ $# -gt 0 ]]; do
  case "$1" in
    --lfw) lfw="${2:?--lfw needs a folder}"; shift 2 ;;
    --skip-lfw) skip_lfw=1; shift ;;
    --skip-scale) skip_scale=1; shift ;;
    --no-mlp-epoch) mlp_epoch=0; shift ;;
    --flip-tta) flip="${2:?--flip-tta needs on or off}"; shift 2 ;;
    --people) people="${2:?--people needs a number}"; shift 2 ;;
    --work) work="${2:?--work needs a folder}"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "error: $1: unknown option; see scripts/bench-heads.sh --help" >&2; exit 2 ;;
  esac
done
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time: not installed; apt-get install time" >&2; exit 2; }
cd "$(dirname "$0")/.."
for p in Extract TrainHead Predict; do dotnet build -c Release -v q "src/$p" >/dev/null; done
dotnet build -c Release -v q bench/FacePipeline.Bench >/dev/null
bin() { echo "src/$1/bin/Release/net10.0/$1.dll"; }
rm -rf "$work"; mkdir -p "$work"
note() { echo "bench-heads: $*" >&2; }
note "$(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
metrics() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(" | ".join("" if m.get(k) is None else "%.4f" % m[k] for k in sys.argv[2:]))' "$@"; }
chosen() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["selection"]["chosen"])' "$1/head.json"; }

manifest() { # NAME AWK-PROGRAM: a manifest of lfw-dev with the split the program prints (empty line = leave the photo out)
  find "$(cd "$lfw" && pwd)" -mindepth 2 -maxdepth 2 -type f ! -name '.*' | LC_ALL=C sort | awk "
    BEGIN { print \"path,label,split\" }
    { dir = \$0; sub(/\/[^\/]*\$/, \"\", dir); label = dir; sub(/^.*\//, \"\", label)
      if (!(label in pos)) { pos[label] = 0; person[label] = n++ }
      i = person[label]; k = pos[label]++; $2 }" > "$work/$1.csv"
  dotnet "$(bin Extract)" --manifest "$work/$1.csv" --out "$work/$1" --model mobilefacenet --faces detect --flip-tta "$flip" > /dev/null 2> "$work/$1.extract.log"
}

if [[ $skip_lfw -eq 0 ]]; then
  echo "| protocol | head | kept | test accuracy | test macro recall | DIR at threshold | FAR on test strangers | threshold |"
  echo "|---|---|---|---|---|---|---|---|"
  for k in 1 2; do
    manifest "few-shot-$k" "print \$0 \",\" label \",\" (k < $k ? \"train\" : \"test\")"
    for kind in mlp prototype auto; do
      head="$work/few-shot-$k-$kind"
      dotnet "$(bin TrainHead)" --features "$work/few-shot-$k" --out "$head" --head "$kind" 2> "$head.log"
      dotnet "$(bin Predict)" evaluate --head "$head" --features "$work/few-shot-$k" --split test --unknown-threshold none --out "$head-report" 2>> "$head.log"
      echo "| few-shot $k | $kind | $(chosen "$head") | $(metrics "$head-report/metrics.json" accuracy macro_recall) | | | |"
    done
  done
  manifest open-known 'if (i % 4 <= 1) print $0 "," label "," (k % 2 == 0 ? "train" : "test"); else if (i % 4 == 3) print $0 "," label ",test"'
  manifest open-calib 'if (i % 4 == 2) print $0 "," label ","'
  for far in 0.01 0.001; do
    for kind in mlp prototype auto; do
      head="$work/open-$kind-$far"
      dotnet "$(bin TrainHead)" --features "$work/open-known" --out "$head" --head "$kind" --unknowns "$work/open-calib" --target-far "$far" 2> "$head.log"
      dotnet "$(bin Predict)" evaluate --head "$head" --features "$work/open-known" --split test --out "$head-report" 2>> "$head.log"
      echo "| open-set (FAR target $far on $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["strangers"]["count"])' "$head/head.json") calibration faces) | $kind | $(chosen "$head") | $(metrics "$head-report/metrics.json" accuracy macro_recall dir far unknown_threshold) |"
    done
  done
fi

if [[ $skip_scale -eq 0 ]]; then
  timed() { # LOG COMMAND...: runs it, prints "seconds, peak MiB"
    local log=$1; shift
    local start; start=$(date +%s.%N)
    /usr/bin/time -v "$@" > /dev/null 2> "$log"
    awk -v a="$start" -v b="$(date +%s.%N)" -v peak="$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print int($2 / 1024) }' "$log")" 'BEGIN { printf "%.1f s | %d MiB", b - a, peak }'
  }
  echo
  echo "| features | step | time | peak RSS | note |"
  echo "|---|---|---|---|---|"
  for features in 128 512; do
    cache="$work/scale-$features"; fresh="$work/scale-$features-eval"
    dotnet bench/FacePipeline.Bench/bin/Release/net10.0/FacePipeline.Bench.dll synthetic-cache "$cache" --rows $((people * 5)) --features "$features" --classes "$people" 2>/dev/null
    dotnet bench/FacePipeline.Bench/bin/Release/net10.0/FacePipeline.Bench.dll synthetic-cache "$fresh" --rows "$people" --features "$features" --classes "$people" 2>/dev/null
    echo "| $features | TrainHead --head prototype ($((people * 5)) rows) | $(timed "$cache-prototype.log" dotnet "$(bin TrainHead)" --features "$cache" --out "$cache-prototype" --head prototype) | |"
    [[ $mlp_epoch -eq 1 ]] && echo "| $features | TrainHead --head mlp --epochs 1 | $(timed "$cache-mlp.log" dotnet "$(bin TrainHead)" --features "$cache" --out "$cache-mlp" --head mlp --epochs 1) | $(grep -o '^epoch 1/1: .*' "$cache-mlp.log" | grep -o '([0-9.]* s)') per epoch |"
    echo "| $features | TrainHead (auto, --auto-budget 120) | $(timed "$cache-auto.log" dotnet "$(bin TrainHead)" --features "$cache" --out "$cache-auto") | kept $(chosen "$cache-auto"), mlp $(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["selection"]; print(s["mlp_epochs_run"], "epoch(s), cut by budget:", s["mlp_cut_by_budget"])' "$cache-auto/head.json") |"
    echo "| $features | Predict evaluate, prototype head, $people rows x $people labels | $(timed "$cache-evaluate.log" dotnet "$(bin Predict)" evaluate --head "$cache-prototype" --features "$fresh" --out "$cache-report") | report $(du -sk "$cache-report" | cut -f1) KiB |"
  done
fi
note "done, load average $(cut -d' ' -f1-3 /proc/loadavg)"
