#!/usr/bin/env bash
# A scheduled offline evaluation: scores a head on a labelled set, keeps a dated report, and fails (exit 3) when
# accuracy drops below the bar, or (with --max-far) more strangers get a name than allowed, so cron or CI notices.
#
#   scripts/nightly-evaluate.sh --head HEAD_DIR (--features CACHE_DIR | --images DIR | --manifest CSV)
#                               [--split test] [--min-accuracy 0.95] [--max-far F] [--reports DIR]
#
# Reports go to REPORTS/<UTC date-time>/ (default runs/nightly/); REPORTS/history.csv gets one line per run
# (its far, dir and max_far columns come last, after report, so older histories keep their columns; far and dir are
# empty when the set holds no strangers). --max-far [default: none] needs strangers in the set.
# Example cron line (every night at 02:30, mail on failure is cron's own):
#   30 2 * * * cd /srv/facepipeline && scripts/nightly-evaluate.sh --head heads/current --manifest data/eval.csv --split test --min-accuracy 0.95
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

head_dir=""
source_args=()
split_args=()
min_accuracy="0.95"
far_args=()
max_far=""
reports="$REPO_ROOT/runs/nightly"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --head) head_dir="${2:?--head needs a folder}"; shift 2 ;;
    --features|--images|--manifest) source_args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --split) split_args=(--split "${2:?--split needs a value}"); shift 2 ;;
    --min-accuracy) min_accuracy="${2:?--min-accuracy needs a number}"; shift 2 ;;
    --max-far) max_far="${2:?--max-far needs a number}"; far_args=(--max-far "$max_far"); shift 2 ;;
    --reports) reports="${2:?--reports needs a folder}"; shift 2 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1'; see --help" >&2; exit 2 ;;
  esac
done
if [[ -z "$head_dir" || ${#source_args[@]} -ne 2 ]]; then
  echo "error: give --head and exactly one of --features, --images or --manifest; see --help" >&2
  exit 2
fi

stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
report="$reports/$stamp"
mkdir -p "$reports"
build_if_needed
status=0
"$(program_path Predict)" evaluate --head "$head_dir" "${source_args[@]}" "${split_args[@]}" --min-accuracy "$min_accuracy" "${far_args[@]}" --out "$report" || status=$?

if [[ -f "$report/metrics.json" ]]; then
  metric() { sed -n "s/^  \"$1\": *\([0-9.eE+-]*\).*/\1/p" "$report/metrics.json" | head -n 1; }
  accuracy=$(metric accuracy)
  far=$(metric far)
  dir=$(metric dir)
  [[ -f "$reports/history.csv" ]] || echo "timestamp,accuracy,min_accuracy,exit_code,report,far,dir,max_far" > "$reports/history.csv"
  echo "$stamp,$accuracy,$min_accuracy,$status,$report,$far,$dir,$max_far" >> "$reports/history.csv"
fi
case $status in
  0) echo "nightly: ok, accuracy $accuracy >= $min_accuracy; report $report" >&2 ;;
  3) echo "nightly: REGRESSION, accuracy $accuracy (bar $min_accuracy), FAR ${far:-n/a} (bar ${max_far:-none}); report $report" >&2 ;;
  *) echo "nightly: evaluation failed (exit $status)" >&2 ;;
esac
exit $status
