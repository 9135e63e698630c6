#!/usr/bin/env bash
# Runs the two Kubernetes steps in order: the sharded extraction, then verify + TrainHead.
#   deploy/kubernetes/run.sh
# Exits 1 as soon as either Job fails (kubectl wait alone would wait for "complete" until its timeout).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

wait_for_job() {
  local state
  while true; do
    state="$(kubectl get "job/$1" -o jsonpath='{.status.conditions[?(@.status=="True")].type}')"
    case "$state" in
      *Complete*) return 0 ;;
      *Failed*) echo "error: job/$1: failed; see kubectl logs -l job-name=$1 --all-containers" >&2; return 1 ;;
    esac
    sleep 30
  done
}

kubectl apply -f "$here/extract-job.yaml"
wait_for_job facepipeline-extract
kubectl apply -f "$here/train-job.yaml"
wait_for_job facepipeline-train
