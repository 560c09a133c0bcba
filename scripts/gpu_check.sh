#!/usr/bin/env bash
# The GPU check: run on a machine with an NVIDIA GPU (numba-cuda and torch with CUDA
# installed; nothing is downloaded). In order:
#   1. the CUDA test suite on the real device (tests/cuda, NUMBA_ENABLE_CUDASIM=0);
#   2. every op against the CPU backend and torch CUDA on random inputs (scripts/gpu_compare.py);
#   3. the MNIST example, 1 epoch, --device cuda against --device cpu, when the data is
#      there (MNIST_DATA=folder holding MNIST/raw, default ./data; no download here);
#   4. the GPU benchmark against torch CUDA (benchmarks/bench_cuda.py), its table last.
# Usage: bash scripts/gpu_check.sh [python]    (default: python3)
set -u -o pipefail
PY=${1:-python3}
cd "$(dirname "$0")/.."
export NUMBA_ENABLE_CUDASIM=0 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
status=0
$PY -c "import minitorch, sys; ok = minitorch.cuda.is_available(); print('GPU:', minitorch.cuda.get_device_name() if ok else 'none'); sys.exit(0 if ok else 1)" || { echo "no usable GPU"; exit 1; }
echo "== 1. CUDA tests on the device"; start=$SECONDS
if $PY -c "import pytest" 2>/dev/null; then
  $PY -m pytest -q -p no:cacheprovider tests/cuda 2>&1 | tail -15 || status=1
  echo "   ($((SECONDS - start)) s, including kernel compilation)"
else
  echo "   pytest is not installed here: skipped (step 2 still compares every op)"
fi
echo "== 2. ops vs CPU and torch CUDA"
$PY scripts/gpu_compare.py || status=1
echo "== 3. MNIST example, 1 epoch"
data=${MNIST_DATA:-data}
if [ -d "$data/MNIST/raw" ]; then
  for dev in cuda cpu; do
    start=$SECONDS
    $PY examples/mnist/train.py --epochs 1 --device $dev --data "$data" 2>&1 | tail -2 || status=1
    echo "   --device $dev: $((SECONDS - start)) s (including start-up and kernel compilation)"
  done
else
  echo "   no MNIST data under $data/MNIST/raw: skipped"
fi
echo "== 4. benchmark"
$PY benchmarks/bench_cuda.py --repeats 5 || status=1
exit $status
