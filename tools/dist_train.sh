#!/usr/bin/env bash
# Multi-process training with torchrun:  bash tools/dist_train.sh CONFIG NPROC [train.py args]
# On machines without CUDA the processes use gloo on the CPU.
set -euo pipefail
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}
DIR="$(cd "$(dirname "$0")" && pwd)"

# a run that stops for a person's labels exits 75 (see tools/train.py):
# every rank exits 0 so that torchrun reports no failure, and rank 0 leaves
# the status in this file
STATUS_FILE=$(mktemp)
trap 'rm -f "$STATUS_FILE"' EXIT
set +e
MMSEG_ADA_EXIT_STATUS_FILE="$STATUS_FILE" \
PYTHONPATH="$DIR/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$DIR/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
rc=$?
set -e
if [ "$rc" -eq 0 ] && [ -s "$STATUS_FILE" ]; then
  rc=$(cat "$STATUS_FILE")
fi
exit "$rc"
