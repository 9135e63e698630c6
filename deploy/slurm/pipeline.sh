#!/usr/bin/env bash
# Submits the whole pipeline to Slurm: the extraction array (one task per shard, at most P at once), then verify once
# every task succeeded (afterok on an array waits for all its tasks), then TrainHead once verify succeeded.
#
#   deploy/slurm/pipeline.sh --shards N [--parallel P] (--images DIR | --manifest CSV) --cache DIR --head DIR
#                            [--model NAME|PATH] [--device cuda]
#
# Prints the three job ids. A failed shard leaves verify and TrainHead pending forever (DependencyNeverSatisfied):
# resubmit just that task (SHARDS=N ... sbatch --array=K deploy/slurm/extract.sbatch), then this script's verify
# and train steps, or scancel them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export FACEPIPELINE_HOME="${FACEPIPELINE_HOME:-$(cd "$here/../.." && pwd)}"
parallel=4
while [[ $# -gt 0 ]]; do
  case "$1" in
    --shards) export SHARDS="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --images) export IMAGES="$2"; shift 2 ;;
    --manifest) export MANIFEST="$2"; shift 2 ;;
    --cache) export CACHE="$2"; shift 2 ;;
    --head) export HEAD="$2"; shift 2 ;;
    --model) export MODEL="$2"; shift 2 ;;
    --device) export DEVICE="$2"; shift 2 ;;
    *) echo "error: $1: unknown option; see the header of $0" >&2; exit 2 ;;
  esac
done
: "${SHARDS:?--shards N is required}"
: "${CACHE:?--cache DIR is required}"
: "${HEAD:?--head DIR is required}"
if [[ -z "${IMAGES:-}" && -z "${MANIFEST:-}" ]]; then
  echo "error: give --images DIR or --manifest CSV" >&2
  exit 2
fi

# Build once here, not in N array tasks racing on one build folder.
if [[ -z "${FACEPIPELINE_EXTRACT:-}" ]]; then
  "$FACEPIPELINE_HOME/scripts/extract" --help > /dev/null
fi

extract_job="$(sbatch --parsable --array="0-$((SHARDS - 1))%$parallel" "$here/extract.sbatch")"
verify_job="$(sbatch --parsable --dependency="afterok:$extract_job" "$here/verify.sbatch")"
train_job="$(sbatch --parsable --dependency="afterok:$verify_job" "$here/train-head.sbatch")"
echo "extract $extract_job (array 0-$((SHARDS - 1))%$parallel), verify $verify_job, train-head $train_job"
