#!/usr/bin/env bash
# Memory-budget TrainHead benchmark (issues 13, 20): synthetic VGG16-width caches (25 088 floats per row) written in
# several layouts are trained with each head kind under each budget; each run's peak RSS (/usr/bin/time -v, "Maximum
# resident set size") and seconds per epoch (mlp) or seconds in all (prototype) are printed, or the line with which
# TrainHead refused the budget at the start. The budget bounds the whole process, so peak RSS must stay under it.
# Layouts:
#   ours            Extract's (Parquet.Net, parts of 500-row groups)
#   duckdb          DuckDB's 2 048-row groups, one page per column chunk, written by Parquet.Net
#   duckdb-2048     written by DuckDB 1.5.6 itself (bench/DuckDbWriter: COPY ... ROW_GROUP_SIZE 2048)
#   duckdb-default  written by DuckDB 1.5.6 with its defaults: one row group of up to 122 880 rows (the whole cache)
# The DuckDB layouts restore DuckDB.NET (421 MB) the first time. Each cache is deleted after its runs.
#
# Usage: scripts/bench-streaming.sh [--rows "N ..."] [--budgets "SIZE ..."] [--layouts "L ..."] [--heads "mlp prototype"]
#                                   [--epochs N] [--work DIR]
#   --rows "N ..."       cache sizes in rows [default: "8000 40000": about 800 MB and 4 GB of floats]
#   --budgets "SIZE ..." --memory-budget of the runs [default: "256MB 1GB"]
#   --layouts "L ..."    any of the layouts above [default: "ours duckdb"]
#   --heads "K ..."      --head of the runs, mlp and/or prototype [default: mlp]
#   --epochs N           epochs per mlp run [default: 1]
#   --work DIR           scratch folder [default: bench/work/streaming]; needs twice the largest cache's size free
set -euo pipefail
rows_list="8000 40000"; budgets="256MB 1GB"; layouts="ours duckdb"; heads=mlp; epochs=1; work=bench/work/streaming
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows_list="$2"; shift 2 ;;
    --budgets) budgets="$2"; shift 2 ;;
    --layouts) layouts="$2"; shift 2 ;;
    --heads) heads="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) echo "error: $1: unknown option; see the usage at the top of $0" >&2; exit 2 ;;
  esac
done
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time: not installed; apt-get install time" >&2; exit 2; }
cd "$(dirname "$0")/.."
dotnet build -c Release -v q src/TrainHead >/dev/null
dotnet build -c Release -v q bench/FacePipeline.Bench >/dev/null
if [[ " $layouts " == *" duckdb-"* ]]; then dotnet build -c Release -v q bench/DuckDbWriter >/dev/null; fi
bench=bench/FacePipeline.Bench/bin/Release/net10.0/FacePipeline.Bench.dll
train=src/TrainHead/bin/Release/net10.0/TrainHead.dll
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"

run() { # NAME CACHE BUDGET HEAD: one TrainHead run, its peak RSS and seconds per epoch, or its refusal
  local name=$1 cache=$2 budget=$3 head=$4 rc=0
  /usr/bin/time -v dotnet "$train" --features "$cache" --out "$work/head-$name" --head "$head" --epochs "$epochs" --memory-budget "$budget" \
    2> "$work/$name.log" >/dev/null || rc=$?
  local peak; peak=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print int($2 / 1024) }' "$work/$name.log")
  if [[ $rc -ne 0 ]]; then
    echo "$name: refused (exit $rc, peak RSS ${peak} MiB): $(grep -m1 '^error:' "$work/$name.log")"
    return
  fi
  if [[ $head == prototype ]]; then
    echo "$name: $(grep -m1 -o 'train-head: prototypes in [a-z]* pass[es]* over [0-9]* row groups[^;]*within' "$work/$name.log"); $(grep -m1 -o 'fitted in [0-9.]* s' "$work/$name.log"); peak RSS ${peak} MiB; wall $(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$work/$name.log"); load $(cut -d' ' -f1-3 /proc/loadavg)"
    return
  fi
  local epoch; epoch=$(grep -o '^epoch [0-9]*/[0-9]*: .*(\([0-9.]*\) s)' "$work/$name.log" | sed 's/.*(\([0-9.]*\) s)/\1/' | awk '{ s += $1; n++ } END { printf "%.1f", s / n }')
  echo "$name: $(grep -m1 -o 'train-head: \(streaming\|in memory\).*' "$work/$name.log"); peak RSS ${peak} MiB; ${epoch} s per epoch; load $(cut -d' ' -f1-3 /proc/loadavg)"
}

for rows in $rows_list; do
  for layout in $layouts; do
    cache="$work/cache-$layout-$rows"
    case $layout in
      ours) dotnet "$bench" synthetic-cache "$cache" --rows "$rows" ;;
      duckdb) dotnet "$bench" synthetic-cache "$cache" --rows "$rows" --row-group-rows 2048 ;;
      duckdb-2048|duckdb-default)
        dotnet "$bench" synthetic-cache "$cache.source" --rows "$rows"
        dotnet bench/DuckDbWriter/bin/Release/net10.0/DuckDbWriter.dll "$cache.source" "$cache" $([[ $layout == duckdb-2048 ]] && echo 2048) | sed -n '1p;$p'
        rm -rf "$cache.source" ;;
      *) echo "error: $layout: unknown layout; see the usage at the top of $0" >&2; exit 2 ;;
    esac
    echo "cache $layout: $rows rows x 25088 floats, $(du -sm "$cache" | cut -f1) MiB on disk"
    for budget in $budgets; do
      for head in $heads; do
        run "$layout-$rows-$budget-$head" "$cache" "$budget" "$head"
      done
    done
    rm -rf "$cache"
  done
done
