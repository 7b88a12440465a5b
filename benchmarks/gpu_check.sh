#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: install the cuda extra, run the GPU tests, then
# the GPU benchmarks with fused kernels on and off and with TF32 on and off (PyTorch CUDA side
# by side where its wheel has CUDA), and float16 autocast against float32 on the MLP; write
# everything under benchmarks/results/gpu-DATE/.
# Budget: about 8 minutes (each step has its own timeout). Commit the results folder.
#
#   bash benchmarks/gpu_check.sh            # on the GPU machine, from anywhere in the checkout
#   bash benchmarks/gpu_check.sh --dry-run  # prints the steps; runs only the non-GPU checks
#
# Environment: CUDA_EXTRA=cuda12|cuda13 overrides the extra picked from nvidia-smi's CUDA
# version; SKIP_INSTALL=1 uses what is installed; REPEAT=N rounds per benchmark row (default 7).
set -uo pipefail
cd "$(dirname "$0")/.."

DRY=0
[[ "${1:-}" == "--dry-run" ]] && DRY=1
REPEAT="${REPEAT:-7}"
STAMP="$(date -u +%Y-%m-%d-%H%M)"
OUT="benchmarks/results/gpu-${STAMP}"
[[ $DRY == 1 ]] && OUT="$(mktemp -d)/gpu-${STAMP}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
FAILED=0

note() { echo "== $*" | tee -a "$SUMMARY"; }

# step NAME TIMEOUT_S CMD...: runs CMD with a timeout, output to $OUT/NAME.txt, status noted.
step() {
    local name="$1" limit="$2"
    shift 2
    note "$name: $*"
    if [[ $DRY == 1 ]]; then
        return 0
    fi
    local start=$SECONDS
    timeout "$limit" "$@" >"$OUT/$name.txt" 2>&1
    local rc=$?
    note "$name: exit $rc after $((SECONDS - start)) s (log: $OUT/$name.txt)"
    [[ $rc != 0 ]] && FAILED=1
    tail -n 5 "$OUT/$name.txt" | sed 's/^/   /' | tee -a "$SUMMARY"
    return $rc
}

note "gpu_check at $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(hostname), $(date -u)"

# The non-GPU parts, checked everywhere: the script's own syntax and the entry points it uses.
bash -n "$0" || { note "syntax error in $0"; exit 2; }
python -m benchmarks --help >/dev/null || { note "python -m benchmarks does not start"; exit 2; }
python -c "import autograd_engine" || { note "autograd_engine does not import"; exit 2; }
python -m benchmarks.autocast_mlp --help >/dev/null || { note "autocast_mlp does not start"; exit 2; }

if [[ $DRY == 0 ]] && ! command -v nvidia-smi >/dev/null; then
    note "no nvidia-smi: this is not a GPU machine (use --dry-run to check the script)"
    exit 2
fi
if [[ $DRY == 0 ]]; then
    nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1
    CUDA_VERSION="$(sed -n 's/.*CUDA Version: \([0-9]*\)\..*/\1/p' "$OUT/nvidia-smi.txt" | head -1)"
else
    CUDA_VERSION=12
fi
CUDA_EXTRA="${CUDA_EXTRA:-cuda${CUDA_VERSION:-12}}"
note "CUDA driver major version ${CUDA_VERSION:-?}: extra [$CUDA_EXTRA]"

if [[ "${SKIP_INSTALL:-0}" != 1 ]]; then
    step install 300 python -m pip install -q -e ".[test,oracle,${CUDA_EXTRA}]"
fi
step devices 60 python -c "import cupy, torch, autograd_engine as ag
print('cupy', cupy.__version__, 'devices', cupy.cuda.runtime.getDeviceCount())
print('torch', torch.__version__, 'cuda', torch.cuda.is_available())
print('autograd_engine sees cuda:', ag.cuda.is_available(), ag.cuda.device_count())
assert ag.cuda.is_available(), 'CuPy does not see a GPU'"

# Every cuda-parametrized test, the fused-kernel comparisons (real_gpu) included.
step pytest-gpu 150 python -m pytest -q -m gpu -p no:cacheprovider \
    --junitxml="$OUT/pytest-gpu.xml" -o junit_family=xunit2

BENCH=(python -m benchmarks --device cuda --repeat "$REPEAT")
step bench-fused-on 120 "${BENCH[@]}" --json "$OUT/fused-on.json" --markdown "$OUT/fused-on.md"
step bench-fused-off 90 env AUTOGRAD_ENGINE_FUSED=0 "${BENCH[@]}" --only per-op,mlp,cnn,optim \
    --json "$OUT/fused-off.json" --markdown "$OUT/fused-off.md"
step bench-tf32 90 "${BENCH[@]}" --tf32 --only mlp,cnn,matmul \
    --json "$OUT/tf32-on.json" --markdown "$OUT/tf32-on.md"
# float16 autocast + GradScaler against float32 on the 4096x4 MLP at batch 4096 (target >= 2x)
step bench-autocast 90 python -m benchmarks.autocast_mlp --device cuda --repeat "$REPEAT" \
    --json "$OUT/autocast.json"

if [[ $DRY == 1 ]]; then
    note "dry run: steps listed, non-GPU checks passed; nothing written outside $OUT"
    exit 0
fi
note "done: $([[ $FAILED == 0 ]] && echo 'every step passed' || echo 'SOME STEPS FAILED') -- commit $OUT"
exit $FAILED
