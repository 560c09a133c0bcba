#!/usr/bin/env bash
# The GPU check, in one short command on a machine with an NVIDIA GPU (numba-cuda and torch
# with CUDA installed; nothing is downloaded there). In order:
#   0. a working numpy: numba-cuda 0.30.4 fails with numpy >= 2.5 (the stock H200 image has
#      2.5.2), so a numpy 2.4.x wheel carried in .gpu_carry/ is installed into a private
#      folder put first on PYTHONPATH;
#   1. the CUDA test suite on the real device (tests/cuda, NUMBA_ENABLE_CUDASIM=0);
#   2. every op against the CPU backend and torch CUDA on random inputs (scripts/gpu_compare.py);
#   3. the MNIST example, 1 epoch, --device cuda against --device cpu (the .gz files carried
#      in .gpu_carry/data/MNIST/raw, or MNIST_DATA=folder holding MNIST/raw);
#   4. the GPU benchmark against torch CUDA (benchmarks/bench_cuda.py).
# Then one table: every step's result. Full logs go to $OUT (or ./gpu_check_logs).
#
# Prepare here (no GPU needed; .gpu_carry/ is git-ignored):
#   pip download 'numpy==2.4.*' --python-version 3.12 --only-binary=:all: \
#       --platform manylinux_2_28_x86_64 --implementation cp --no-deps -d .gpu_carry
#   python -c "from minitorch.vision import datasets; datasets.MNIST('.gpu_carry/data', download=True); \
#       datasets.MNIST('.gpu_carry/data', train=False, download=True)"; gzip -9 .gpu_carry/data/MNIST/raw/*
# Run there (the device tool: carry .gpu_carry):  bash scripts/gpu_check.sh
# Usage: bash scripts/gpu_check.sh [python]    (default: python3)
set -u -o pipefail
PY=${1:-python3}
cd "$(dirname "$0")/.."
logs=${OUT:-gpu_check_logs}
mkdir -p "$logs"
export NUMBA_ENABLE_CUDASIM=0 PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
status=0
summary=()
row() { summary+=("| $1 | $2 |"); }

if ! $PY -c "import numpy, sys; sys.exit(0 if hasattr(numpy, 'row_stack') else 1)" 2>/dev/null; then
  wheel=$(ls .gpu_carry/numpy-2.4.*-cp3*.whl 2>/dev/null | head -1)
  if [ -n "$wheel" ]; then
    $PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/minitorch-numpy "$wheel" \
      && export PYTHONPATH="/tmp/minitorch-numpy:$PYTHONPATH"
  fi
fi
versions=$($PY -c "import numpy, numba; from importlib.metadata import version as v
print(f'numpy {numpy.__version__}, numba {numba.__version__}, numba-cuda {v(\"numba-cuda\")}')" 2>&1 | tail -1)
echo "== 0. $versions"
if ! $PY -c "import minitorch, sys; ok = minitorch.cuda.is_available(); print('GPU:', minitorch.cuda.get_device_name() if ok else minitorch._backends.cuda._runtime._state.get('why')); sys.exit(0 if ok else 1)"; then
  echo "no usable GPU"; exit 1
fi
gpu=$($PY -c "import minitorch; print(minitorch.cuda.get_device_name())")

echo "== 1. CUDA tests on the device"; start=$SECONDS
if $PY -c "import pytest" 2>/dev/null; then
  $PY -m pytest -q -p no:cacheprovider -x --maxfail=5 tests/cuda > "$logs/tests.log" 2>&1 || status=1
  tail -15 "$logs/tests.log"
  row "CUDA tests (tests/cuda, on the GPU)" "$(tail -1 "$logs/tests.log" | tr -d '=') ($((SECONDS - start)) s with compiles)"
else
  row "CUDA tests" "skipped: no pytest"
fi

echo "== 2. ops vs CPU and torch CUDA"
$PY scripts/gpu_compare.py > "$logs/compare.log" 2>&1 || status=1
cat "$logs/compare.log"
row "ops vs CPU minitorch and torch CUDA" "$(tail -1 "$logs/compare.log")"

echo "== 3. MNIST example, 1 epoch"
data=${MNIST_DATA:-.gpu_carry/data}
[ -d "$data/MNIST/raw" ] || data=data
if [ -d "$data/MNIST/raw" ]; then
  for dev in cuda cpu; do
    start=$SECONDS
    $PY examples/mnist/train.py --epochs 1 --device $dev --data "$data" > "$logs/mnist_$dev.log" 2>&1 || status=1
    tail -2 "$logs/mnist_$dev.log"
    row "MNIST example, 1 epoch, --device $dev" "$((SECONDS - start)) s incl. start-up; $(tail -1 "$logs/mnist_$dev.log")"
  done
else
  row "MNIST example" "skipped: no MNIST data under $data/MNIST/raw"
fi

echo "== 4. benchmark"
$PY benchmarks/bench_cuda.py --repeats 5 > "$logs/bench.log" 2>&1 || status=1
echo
echo "GPU check on $gpu ($versions)"
echo
echo "| step | result |"
echo "|---|---|"
printf '%s\n' "${summary[@]}"
echo
grep -A30 "^| workload" "$logs/bench.log" || tail -20 "$logs/bench.log"
exit $status
