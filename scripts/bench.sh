#!/usr/bin/env bash
# The benchmark of issue 6: builds Release, runs the ML.NET peer (bench/MlNetPeer), runs FacePipeline's
# own pipeline on ORL-7/3 through the three programs for its test accuracy, then the measurements in
# bench/FacePipeline.Bench, and writes bench/results.json and bench/RESULTS.md.
#
# Usage: scripts/bench.sh [--repeats N] [--quick] [--skip-peer] [--peer-json FILE] [--out-dir DIR]
#   --repeats N       timed runs per figure; median, min and max are reported [default: 3; 1 with --quick]
#   --quick           smoke run: 1 repeat, 120 images, small synthetic sets; writes to bench/work/quick/
#                     unless --out-dir is given [default: off]
#   --skip-peer       do not run the ML.NET peer (~5 minutes); merge the newest bench/MlNetPeer/results/*.json
#                     [default: run it]
#   --peer-json FILE  merge this peer result instead of running the peer [default: none]
#   --out-dir DIR     where results.json and RESULTS.md go [default: bench, or bench/work/quick with --quick]
#
# Run it on a quiet machine: the script records the load average at start and end, and timings taken
# while other processes use the CPU are pessimistic. The full run takes about 10-15 minutes plus the peer.
set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
fail() { echo "error: $*" >&2; exit 2; }

repeats=""
quick=0
skip_peer=0
peer_json=""
out_dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repeats) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || fail "--repeats: needs a positive integer"; repeats="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --skip-peer) skip_peer=1; shift ;;
    --peer-json) [[ $# -ge 2 ]] || fail "--peer-json: needs a file"; peer_json="$2"; shift 2 ;;
    --out-dir) [[ $# -ge 2 ]] || fail "--out-dir: needs a folder"; out_dir="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) fail "$1: unknown option; see scripts/bench.sh --help" ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ -z "$out_dir" ]]; then
  if [[ $quick -eq 1 ]]; then out_dir="bench/work/quick"; else out_dir="bench"; fi
fi
if [[ -z "$repeats" ]]; then
  if [[ $quick -eq 1 ]]; then repeats=1; else repeats=3; fi
fi
work="bench/work"
mkdir -p "$work" "$out_dir"
note() { echo "bench.sh: $*" >&2; }
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

note "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
note "building Release (bench, Extract, TrainHead, Predict)"
for project in bench/FacePipeline.Bench/FacePipeline.Bench.csproj src/Extract/Extract.csproj src/TrainHead/TrainHead.csproj src/Predict/Predict.csproj; do
  dotnet build -c Release --nologo -v quiet -clp:ErrorsOnly "$project" >&2
done
bin="net10.0"
extract=(dotnet "src/Extract/bin/Release/$bin/Extract.dll")
train_head=(dotnet "src/TrainHead/bin/Release/$bin/TrainHead.dll")
predict=(dotnet "src/Predict/bin/Release/$bin/Predict.dll")
bench=(dotnet "bench/FacePipeline.Bench/bin/Release/$bin/FacePipeline.Bench.dll")

# 8. The peer: ML.NET's own route on the same data and backbone.
if [[ -n "$peer_json" ]]; then
  [[ -f "$peer_json" ]] || fail "$peer_json: peer results not found"
elif [[ $skip_peer -eq 1 ]]; then
  peer_json="$(ls -t bench/MlNetPeer/results/*.json 2>/dev/null | head -n 1 || true)"
  [[ -n "$peer_json" ]] || fail "bench/MlNetPeer/results: no peer results to reuse; run without --skip-peer"
  note "reusing peer results $peer_json"
else
  peer_json="bench/MlNetPeer/results/orl73-mlnet-resnet18-$(date +%Y%m%dT%H%M%S).json"
  note "running the ML.NET peer ($repeats repeats, ~5 minutes) into $peer_json"
  dotnet run -c Release --project bench/MlNetPeer -- --data data/orl-faces --out "$peer_json" --repeats "$repeats" >&2
fi

# ours_accuracy: the programs with their defaults on ORL-7/3 (ResNet18, as the peer uses).
cli="$work/cli"
rm -rf "$cli"
mkdir -p "$cli"
start="$(now)"
"${extract[@]}" --manifest data/orl-7-3.csv --out "$cli/cache" --model resnet18 --device cpu >&2
extract_s="$(seconds_since "$start")"
start="$(now)"
"${extract[@]}" --manifest data/orl-7-3.csv --out "$cli/cache" --model resnet18 --device cpu >&2
rerun_s="$(seconds_since "$start")"
start="$(now)"
"${train_head[@]}" --features "$cli/cache" --out "$cli/head" >&2
train_s="$(seconds_since "$start")"
start="$(now)"
"${predict[@]}" evaluate --head "$cli/head" --features "$cli/cache" --split test --out "$cli/report" >&2
evaluate_s="$(seconds_since "$start")"
note "CLI pipeline: extract ${extract_s} s, re-run ${rerun_s} s, train-head ${train_s} s, evaluate ${evaluate_s} s (process start included)"

bench_args=(--repeats "$repeats" --peer-json "$peer_json" --ours-metrics "$cli/report/metrics.json"
  --cli-seconds "extract=$extract_s" "extract_rerun=$rerun_s" "train_head=$train_s" "evaluate=$evaluate_s"
  --json-out "$out_dir/results.json" --md-out "$out_dir/RESULTS.md" --overwrite)
if [[ $quick -eq 1 ]]; then bench_args+=(--quick); fi
"${bench[@]}" "${bench_args[@]}"
note "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
note "wrote $out_dir/results.json and $out_dir/RESULTS.md"
