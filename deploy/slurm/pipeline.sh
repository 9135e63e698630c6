#!/usr/bin/env bash
# Submits the whole pipeline to Slurm: the extraction array (one task per shard, at most P at once), then verify once
# every task succeeded (afterok on an array waits for all its tasks), then TrainHead once verify succeeded.
#
#   deploy/slurm/pipeline.sh --shards N [--parallel P] [--array LIST] (--images DIR | --manifest CSV)
#                            --cache DIR --head DIR [--model NAME|PATH] [--device auto|cpu|cuda|cuda:N]
#                            [--partition NAME] [--account NAME] [--gpus G] [--cpus C] [--mem SIZE] [--time LIMIT]
#                            [--train-cpus C] [--train-mem SIZE] [--train-time LIMIT] [--logs DIR]
#                            [-- SBATCH_OPTION...]
#
#   --shards N        the number of shards; the array is 0-(N-1)                                        (required)
#   --parallel P      array tasks running at once                                               [default: 4]
#   --array LIST      only these indices, e.g. 7 or 3,7 (resubmitting failed tasks)            [default: 0-(N-1)]
#   --model           backbone name or .onnx path                              [default: Extract's own default]
#   --device          Extract's device                                   [default: cuda with --gpus, else cpu]
#   --partition, --account   passed to every job                                 [default: the cluster's default]
#   --gpus G          GPUs per extraction task, as --gres=gpu:G                           [default: 0, no gres]
#   --cpus, --mem, --time    per extraction task (--cpus-per-task, --mem, --time) [default: the cluster's default]
#   --train-cpus, --train-mem, --train-time   the same for TrainHead (verify gets the cluster's defaults)
#   --logs DIR        the jobs' log files                                         [default: the current folder]
#   -- ...            anything after -- is passed to every sbatch call (e.g. --qos=high --constraint=avx2)
#
# Nothing assumes a GPU: without --gpus the tasks ask for none and Extract runs on the CPU.
# Prints the three job ids. If a task fails, verify and TrainHead are cancelled (--kill-on-invalid-dep=yes,
# DependencyNeverSatisfied); the finished shards keep their parts, so resubmit only the failed indices with the same
# options plus --array K[,K...]: that array, a new verify and a new TrainHead.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export FACEPIPELINE_HOME="${FACEPIPELINE_HOME:-$(cd "$here/../.." && pwd)}"
usage() {
  echo "error: $1; see the header of $0" >&2
  exit 2
}
value() {
  [[ $# -ge 2 && -n "$2" ]] || usage "$1: needs a value"
}
parallel=4
array=""
gpus=0
logs="$PWD"
common=()
extract_resources=()
train_resources=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --) shift; common+=("$@"); break ;;
    --shards) value "$@"; export SHARDS="$2" ;;
    --parallel) value "$@"; parallel="$2" ;;
    --array) value "$@"; array="$2" ;;
    --images) value "$@"; export IMAGES="$2" ;;
    --manifest) value "$@"; export MANIFEST="$2" ;;
    --cache) value "$@"; export CACHE="$2" ;;
    --head) value "$@"; export HEAD="$2" ;;
    --model) value "$@"; export MODEL="$2" ;;
    --device) value "$@"; export DEVICE="$2" ;;
    --partition) value "$@"; common+=("--partition=$2") ;;
    --account) value "$@"; common+=("--account=$2") ;;
    --gpus) value "$@"; gpus="$2" ;;
    --cpus) value "$@"; extract_resources+=("--cpus-per-task=$2") ;;
    --mem) value "$@"; extract_resources+=("--mem=$2") ;;
    --time) value "$@"; extract_resources+=("--time=$2") ;;
    --train-cpus) value "$@"; train_resources+=("--cpus-per-task=$2") ;;
    --train-mem) value "$@"; train_resources+=("--mem=$2") ;;
    --train-time) value "$@"; train_resources+=("--time=$2") ;;
    --logs) value "$@"; logs="$2" ;;
    *) usage "$1: unknown option" ;;
  esac
  shift 2
done
: "${SHARDS:?--shards N is required}"
: "${CACHE:?--cache DIR is required}"
: "${HEAD:?--head DIR is required}"
[[ -n "${IMAGES:-}" || -n "${MANIFEST:-}" ]] || usage "give --images DIR or --manifest CSV"
[[ "$SHARDS" =~ ^[1-9][0-9]*$ ]] || usage "--shards: '$SHARDS' is not a whole number above 0"
[[ "$gpus" =~ ^[0-9]+$ ]] || usage "--gpus: '$gpus' is not a whole number"
if [[ "$gpus" -gt 0 ]]; then
  extract_resources+=("--gres=gpu:$gpus")
  export DEVICE="${DEVICE:-cuda}"
else
  export DEVICE="${DEVICE:-cpu}"
fi
mkdir -p "$logs"

# Build once here, not in N array tasks racing on one build folder.
if [[ -z "${FACEPIPELINE_EXTRACT:-}" ]]; then
  "$FACEPIPELINE_HOME/scripts/extract" --help > /dev/null
fi
if [[ -z "${FACEPIPELINE_TRAIN_HEAD:-}" ]]; then
  "$FACEPIPELINE_HOME/scripts/train-head" --help > /dev/null
fi

array="${array:-0-$((SHARDS - 1))}"
extract_job="$(sbatch --parsable "${common[@]}" "${extract_resources[@]}" --array="$array%$parallel" \
  --output="$logs/facepipeline-extract-%A_%a.log" "$here/extract.sbatch")"
verify_job="$(sbatch --parsable "${common[@]}" --dependency="afterok:$extract_job" --kill-on-invalid-dep=yes \
  --output="$logs/facepipeline-verify-%j.log" "$here/verify.sbatch")"
train_job="$(sbatch --parsable "${common[@]}" "${train_resources[@]}" --dependency="afterok:$verify_job" \
  --kill-on-invalid-dep=yes --output="$logs/facepipeline-train-head-%j.log" "$here/train-head.sbatch")"
echo "extract $extract_job (array $array%$parallel), verify $verify_job, train-head $train_job"
