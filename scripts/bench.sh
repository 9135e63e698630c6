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
# face-api peer (issue 18): @vladmandic/face-api 1.7.15 on tfjs-backend-wasm 4.22 in Node (bench/FaceApiPeer; its
# packages go into bench/FaceApiPeer/node_modules with npm ci, never into CI's path) on lfw-dev: images/s and 1-NN
# accuracy, beside Extract --model mobilefacenet --faces detect on the same manifest, run before and after the peer.
#
# Usage: scripts/bench.sh [--repeats N] [--quick] [--skip-peer] [--peer-json FILE] [--out-dir DIR]
#                         [--lfw DIR] [--faces-only] [--skip-faces] [--faces-modes LIST] [--faceapi-peer] [--skip-faceapi]
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
#   --faceapi-peer    run only the face-api peer section (needs lfw-dev, node and npm) and merge it into the existing
#                     results.json and RESULTS.md of --out-dir, replacing an earlier one [default: off]
#   --skip-faceapi    leave the face-api peer out of the full run [default: run it when lfw-dev, node and npm are
#                     there, else skip it with a note]
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
faceapi_only=0
skip_faceapi=0
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
    --faceapi-peer) faceapi_only=1; shift ;;
    --skip-faceapi) skip_faceapi=1; shift ;;
    --faces-modes) [[ $# -ge 2 && "$2" =~ ^(none|detect)(,(none|detect))*$ ]] || fail "--faces-modes: needs a list of none and detect, e.g. none,detect"; faces_modes="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) fail "$1: unknown option; see scripts/bench.sh --help" ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ $faces_only -eq 1 && $skip_faces -eq 1 ]] && fail "--faces-only and --skip-faces: pick one"
[[ $faceapi_only -eq 1 && $skip_faceapi -eq 1 ]] && fail "--faceapi-peer and --skip-faceapi: pick one"
[[ $faceapi_only -eq 1 && $faces_only -eq 1 ]] && fail "--faceapi-peer and --faces-only: run them one after the other"
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

# The lfw-dev protocol: per person, files sorted by name (byte order), even positions train, odd test.
# lfw_manifest OUT PEOPLE writes it as a manifest (path,label,split); PEOPLE > 0 keeps the first PEOPLE people.
lfw_manifest() {
  local out="$1" people="$2"
  find "$(cd "$lfw" && pwd)" -mindepth 2 -maxdepth 2 -type f ! -name '.*' | LC_ALL=C sort | awk -v people="$people" '
    BEGIN { print "path,label,split" }
    /[",]/ { print "error: " $0 ": a comma or quote in the path; rename it" > "/dev/stderr"; exit 2 }
    { dir = $0; sub(/\/[^\/]*$/, "", dir); label = dir; sub(/^.*\//, "", label)
      if (!(label in position)) { position[label] = 0; n++ }
      if (people > 0 && n > people) next
      print $0 "," label "," (position[label] % 2 == 0 ? "train" : "test"); position[label]++ }' \
    > "$out"
}

# timed_extract MANIFEST CACHE LOG EXTRACT-OPTIONS...: a fresh cache; prints "SECONDS WALL", SECONDS being the program's
# own reported run time (process start excluded; the wall time when its summary line has none).
timed_extract() {
  local manifest="$1" cache="$2" log="$3" start wall seconds
  shift 3
  rm -rf "$cache"
  mkdir -p "$(dirname "$log")"
  start="$(now)"
  "${extract[@]}" --manifest "$manifest" --out "$cache" --device cpu "$@" > "$log" 2>&1 \
    || { tail -n 5 "$log" >&2; fail "Extract $* on $manifest failed; see $log"; }
  wall="$(seconds_since "$start")"
  seconds="$(grep -oE '\(([0-9.]+) s, device' "$log" | tail -n 1 | grep -oE '[0-9.]+' | head -n 1 || true)"
  [[ -n "$seconds" ]] || { note "no run time in $log's summary line; using wall time"; seconds="$wall"; }
  echo "$seconds $wall"
}

# The faces section's CLI runs: writes $faces_work/runs.tsv and one folder per set × backbone × face stage.
faces_work="$work/faces"
faces_runs() {
  local has_faces=0 modes set backbone mode r dir log seconds wall timing
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
    lfw_manifest "$faces_work/lfw-dev.csv" "$people"
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
          local -a stage=()
          [[ $has_faces -eq 1 ]] && stage=(--faces "$mode")
          timing="$(timed_extract "$faces_work/$set.csv" "$dir/cache" "$log" --model "$backbone" "${stage[@]}")"
          read -r seconds wall <<< "$timing"
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

# The face-api peer section: writes $faceapi_work/{lfw-dev.csv,peer.json,runs.tsv} and ours/ (cache, head, report).
# Ours runs before and after the peer, so a change in the machine's load during the peer's long pass hits both.
faceapi_work="$work/faceapi"
faceapi_peer_dir="bench/FaceApiPeer"
faceapi_runs() {
  local people=0 r log timing seconds wall
  [[ $quick -eq 1 ]] && people=10
  rm -rf "$faceapi_work"
  mkdir -p "$faceapi_work"
  if [[ ! -f "$faceapi_peer_dir/node_modules/.package-lock.json" || "$faceapi_peer_dir/package-lock.json" -nt "$faceapi_peer_dir/node_modules/.package-lock.json" ]]; then
    note "face-api peer: installing its pinned packages into $faceapi_peer_dir/node_modules (npm ci)"
    npm ci --prefix "$faceapi_peer_dir" --no-audit --no-fund >&2 || fail "npm ci --prefix $faceapi_peer_dir failed; check that the npm registry is reachable"
  fi
  lfw_manifest "$faceapi_work/lfw-dev.csv" "$people"
  note "face-api peer: lfw-dev manifest: $(($(wc -l < "$faceapi_work/lfw-dev.csv") - 1)) images -> $faceapi_work/lfw-dev.csv"
  printf 'run\textract_s\twall_s\n' > "$faceapi_work/runs.tsv"
  for r in 1 2; do
    if [[ $r -eq 2 ]]; then
      note "face-api peer: running @vladmandic/face-api on lfw-dev (about 20 minutes on 2 loaded cores)"
      node "$faceapi_peer_dir/run.mjs" --lfw "$lfw" --out "$faceapi_work/peer.json" --people "$people" \
        || fail "node $faceapi_peer_dir/run.mjs failed; see the lines above"
    fi
    log="$faceapi_work/ours/extract-$r.log"
    timing="$(timed_extract "$faceapi_work/lfw-dev.csv" "$faceapi_work/ours/cache" "$log" --model mobilefacenet --faces detect)"
    read -r seconds wall <<< "$timing"
    note "face-api peer: ours (Extract --model mobilefacenet --faces detect) run $r/2: ${seconds} s (wall ${wall} s)"
    printf '%s\t%s\t%s\n' "$r" "$seconds" "$wall" >> "$faceapi_work/runs.tsv"
  done
  "${train_head[@]}" --features "$faceapi_work/ours/cache" --out "$faceapi_work/ours/head" > "$faceapi_work/ours/train-head.log" 2>&1 \
    || { tail -n 5 "$faceapi_work/ours/train-head.log" >&2; fail "TrainHead on $faceapi_work/ours/cache failed; see $faceapi_work/ours/train-head.log"; }
  "${predict[@]}" evaluate --head "$faceapi_work/ours/head" --features "$faceapi_work/ours/cache" --split test --out "$faceapi_work/ours/report" > "$faceapi_work/ours/evaluate.log" 2>&1 \
    || { tail -n 5 "$faceapi_work/ours/evaluate.log" >&2; fail "Predict evaluate on $faceapi_work/ours failed; see $faceapi_work/ours/evaluate.log"; }
}

# Whether the face-api peer can run here: prints the reason when it cannot.
faceapi_missing() {
  if [[ -z "$lfw" ]]; then echo "no lfw-dev (pass --lfw DIR)"
  elif ! command -v node > /dev/null || ! command -v npm > /dev/null; then echo "node and npm not found (install Node 20 with npm)"
  fi
}

if [[ $faceapi_only -eq 1 ]]; then
  missing="$(faceapi_missing)"
  [[ -z "$missing" ]] || fail "face-api peer: $missing"
  faceapi_runs
  bench_args=(--only faceapi --faceapi-work "$faceapi_work" --json-out "$out_dir/results.json" --md-out "$out_dir/RESULTS.md" --overwrite)
  if [[ $quick -eq 1 ]]; then bench_args+=(--quick); fi
  "${bench[@]}" "${bench_args[@]}"
  note "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  note "merged the face-api peer section into $out_dir/results.json and $out_dir/RESULTS.md"
  exit 0
fi

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
sections=(gemm inference variants extract head predict cache-io)
if [[ $skip_faces -eq 0 ]]; then
  faces_runs
  bench_args+=("${faces_args[@]}")
  sections+=(faces)
fi
missing="$(faceapi_missing)"
if [[ $skip_faceapi -eq 0 && -z "$missing" ]]; then
  faceapi_runs
  bench_args+=(--faceapi-work "$faceapi_work")
  sections+=(faceapi)
elif [[ $skip_faceapi -eq 0 ]]; then
  note "face-api peer: skipped, $missing"
fi
bench_args+=(--only "${sections[@]}")
"${bench[@]}" "${bench_args[@]}"
note "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
note "wrote $out_dir/results.json and $out_dir/RESULTS.md"
