#!/usr/bin/env bash
# The benchmark of issue 6: builds Release, runs the ML.NET peer (bench/MlNetPeer), runs FacePipeline's
# own pipeline on ORL-7/3 through the three programs for its test accuracy, then the measurements in
# bench/FacePipeline.Bench, and writes bench/results.json and bench/RESULTS.md.
#
# Faces section (issues 10, 11 and 18): for resnet18 and mobilefacenet × --faces none/detect × ORL-7/3, ORL as
# uncropped portraits (orl-portraits) and lfw-dev,
# Extract → TrainHead (defaults) → Predict evaluate --split test (accuracy, macro recall, detection rate, Extract
# images/s), then in the same run the detectors alone, the face stage alone and bare inference of each backbone.
#
# Usage: scripts/bench.sh [--repeats N] [--quick] [--skip-peer] [--peer-json FILE] [--out-dir DIR]
#                         [--lfw DIR] [--faces-only] [--skip-faces] [--faces-modes LIST]
#   --repeats N       timed runs per figure; median, min and max are reported [default: 3; 1 with --quick]
#   --quick           smoke run: 1 repeat, 120 images, small synthetic sets; writes to bench/work/quick/
#                     unless --out-dir is given [default: off]
#   --skip-peer       do not run the ML.NET peer (~5 minutes); merge the newest bench/MlNetPeer/results/*.json
#                     [default: run it]
#   --peer-json FILE  merge this peer result instead of running the peer [default: none]
#   --out-dir DIR     where results.json and RESULTS.md go [default: bench, or bench/work/quick with --quick]
#   --lfw DIR         lfw-dev folder (one sub-folder per person; LFW is published by the University of
#                     Massachusetts, see README) [default: ../shared/data/lfw-dev when present, else lfw-dev is
#                     skipped with a note]
#   --faces-only      run only the faces section (no peer, no other sections) and merge it into the existing
#                     results.json and RESULTS.md of --out-dir, replacing an earlier faces section [default: off]
#   --skip-faces      leave the faces section out [default: run it]
#   --faces-modes L   comma-separated face stages to run, of none and detect [default: none,detect]; detect needs
#                     an Extract with --faces (the script stops with an error when it has none)
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
lfw=""
faces_only=0
skip_faces=0
faces_modes="none,detect"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repeats) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || fail "--repeats: needs a positive integer"; repeats="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --skip-peer) skip_peer=1; shift ;;
    --peer-json) [[ $# -ge 2 ]] || fail "--peer-json: needs a file"; peer_json="$2"; shift 2 ;;
    --out-dir) [[ $# -ge 2 ]] || fail "--out-dir: needs a folder"; out_dir="$2"; shift 2 ;;
    --lfw) [[ $# -ge 2 ]] || fail "--lfw: needs a folder"; lfw="$2"; shift 2 ;;
    --faces-only) faces_only=1; shift ;;
    --skip-faces) skip_faces=1; shift ;;
    --faces-modes) [[ $# -ge 2 && "$2" =~ ^(none|detect)(,(none|detect))*$ ]] || fail "--faces-modes: needs a list of none and detect, e.g. none,detect"; faces_modes="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) fail "$1: unknown option; see scripts/bench.sh --help" ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ $faces_only -eq 1 && $skip_faces -eq 1 ]] && fail "--faces-only and --skip-faces: pick one"
if [[ -n "$lfw" ]]; then
  [[ -d "$lfw" ]] || fail "$lfw: lfw-dev folder not found; pass --lfw DIR"
elif [[ -d ../shared/data/lfw-dev ]]; then
  lfw="../shared/data/lfw-dev"
fi
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

# The faces section's CLI runs: writes $faces_work/runs.tsv and one folder per set × backbone × face stage.
faces_work="$work/faces"
faces_runs() {
  local has_faces=0 modes set backbone mode r dir log seconds start wall
  if "${extract[@]}" --help 2>/dev/null | grep -q -- '--faces'; then has_faces=1; fi
  IFS=, read -r -a modes <<< "$faces_modes"
  if [[ $has_faces -eq 0 ]]; then
    for mode in "${modes[@]}"; do
      [[ "$mode" == none ]] || fail "Extract: does not understand --faces detect (this build has no face stage); build one with it, or pass --faces-modes none"
    done
    note "Extract has no --faces option: the 'none' runs use it as it is (whole images)"
  fi
  rm -rf "$faces_work"
  mkdir -p "$faces_work"
  local people=0
  [[ $quick -eq 1 ]] && people=10
  # ORL-7/3 with absolute paths (the manifest moves to bench/work); --quick keeps the first 10 people.
  awk -F, -v root="$root/data" -v people="$people" 'NR == 1 { print; next }
    { if (!($2 in seen)) { seen[$2] = ++n } if (people == 0 || seen[$2] <= people) print root "/" $1 "," $2 "," $3 }' \
    data/orl-7-3.csv > "$faces_work/orl-7-3.csv"
  local -a sets=(orl-7-3)
  # orl-portraits: ORL as uncropped side-lit portraits (face box ~25 % of a 320x243 frame), where a face stage can
  # hurt an ImageNet backbone; written by the bench program, ORL-7/3 split.
  "${bench[@]}" orl-portraits "$faces_work/orl-portraits" --orl data/orl-faces > /dev/null
  mv "$faces_work/orl-portraits/orl-portraits.csv" "$faces_work/orl-portraits.csv"
  if [[ $quick -eq 1 ]]; then
    awk -F, 'NR == 1 { print; next } { if (!($2 in seen)) { seen[$2] = ++n } if (seen[$2] <= 10) print }' "$faces_work/orl-portraits.csv" > "$faces_work/p.csv"
    mv "$faces_work/p.csv" "$faces_work/orl-portraits.csv"
  fi
  sets+=(orl-portraits)
  if [[ -n "$lfw" ]]; then
    # The lfw-dev protocol: per person, files sorted by name (byte order), even positions train, odd test.
    find "$(cd "$lfw" && pwd)" -mindepth 2 -maxdepth 2 -type f ! -name '.*' | LC_ALL=C sort | awk -v people="$people" '
      BEGIN { print "path,label,split" }
      /[",]/ { print "error: " $0 ": a comma or quote in the path; rename it" > "/dev/stderr"; exit 2 }
      { dir = $0; sub(/\/[^\/]*$/, "", dir); label = dir; sub(/^.*\//, "", label)
        if (!(label in position)) { position[label] = 0; n++ }
        if (people > 0 && n > people) next
        print $0 "," label "," (position[label] % 2 == 0 ? "train" : "test"); position[label]++ }' \
      > "$faces_work/lfw-dev.csv"
    sets+=(lfw-dev)
    note "lfw-dev manifest: $(($(wc -l < "$faces_work/lfw-dev.csv") - 1)) images from $lfw -> $faces_work/lfw-dev.csv"
  else
    note "lfw-dev: not found at ../shared/data/lfw-dev and no --lfw given; the faces section runs ORL-7/3 only"
  fi
  printf 'set\tbackbone\tfaces\trepeat\textract_s\twall_s\tmanifest\tfolder\n' > "$faces_work/runs.tsv"
  # Repeats outermost and the face stages alternating, so a change in the machine's load hits none and detect alike.
  for ((r = 1; r <= repeats; r++)); do
    for set in "${sets[@]}"; do
      for backbone in resnet18 mobilefacenet; do
        for mode in "${modes[@]}"; do
          dir="$faces_work/$set-$backbone-$mode"
          log="$dir/extract-$r.log"
          rm -rf "$dir/cache"
          mkdir -p "$dir"
          local -a stage=()
          [[ $has_faces -eq 1 ]] && stage=(--faces "$mode")
          start="$(now)"
          "${extract[@]}" --manifest "$faces_work/$set.csv" --out "$dir/cache" --model "$backbone" --device cpu "${stage[@]}" > "$log" 2>&1 \
            || { tail -n 5 "$log" >&2; fail "Extract --model $backbone ${stage[*]} on $set failed; see $log"; }
          wall="$(seconds_since "$start")"
          seconds="$(grep -oE '\(([0-9.]+) s, device' "$log" | tail -n 1 | grep -oE '[0-9.]+' | head -n 1 || true)"
          [[ -n "$seconds" ]] || { note "no run time in $log's summary line; using wall time"; seconds="$wall"; }
          note "faces: $set $backbone ${mode}: extract ${seconds} s (wall ${wall} s), repeat $r/$repeats; $(grep -E '^extract: [0-9]+ new' "$log" | tail -n 1 || true)"
          printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$backbone" "$mode" "$r" "$seconds" "$wall" "$faces_work/$set.csv" "$dir" >> "$faces_work/runs.tsv"
        done
      done
    done
  done
  for set in "${sets[@]}"; do
    for backbone in resnet18 mobilefacenet; do
      for mode in "${modes[@]}"; do
        dir="$faces_work/$set-$backbone-$mode"
        "${train_head[@]}" --features "$dir/cache" --out "$dir/head" > "$dir/train-head.log" 2>&1 \
          || { tail -n 5 "$dir/train-head.log" >&2; fail "TrainHead on $dir/cache failed; see $dir/train-head.log"; }
        "${predict[@]}" evaluate --head "$dir/head" --features "$dir/cache" --split test --out "$dir/report" > "$dir/evaluate.log" 2>&1 \
          || { tail -n 5 "$dir/evaluate.log" >&2; fail "Predict evaluate on $dir failed; see $dir/evaluate.log"; }
      done
    done
  done
}

faces_args=(--faces-work "$faces_work")
if [[ -n "$lfw" ]]; then faces_args+=(--lfw "$lfw"); fi
if [[ $faces_only -eq 1 ]]; then
  faces_runs
  bench_args=(--only faces --repeats "$repeats" "${faces_args[@]}" --json-out "$out_dir/results.json" --md-out "$out_dir/RESULTS.md" --overwrite)
  if [[ $quick -eq 1 ]]; then bench_args+=(--quick); fi
  "${bench[@]}" "${bench_args[@]}"
  note "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  note "merged the faces section into $out_dir/results.json and $out_dir/RESULTS.md"
  exit 0
fi

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
if [[ $skip_faces -eq 1 ]]; then
  bench_args+=(--only gemm inference variants extract head predict cache-io)
else
  faces_runs
  bench_args+=("${faces_args[@]}")
fi
"${bench[@]}" "${bench_args[@]}"
note "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
note "wrote $out_dir/results.json and $out_dir/RESULTS.md"
