#!/usr/bin/env bash
# Everything worth doing in one short GPU session, in one command (a lent GPU is rare and brief):
#   1. the CUDA tests (tests/test_cuda.py: CUDA vs CPU outputs, fp16 AMP training, NaN handling),
#   2. the default model's GPU training run (configs/default-model-gpu.yaml),
#   3. `wavemix-inpaint benchmark --device cuda` in fp32 and in fp16 autocast (the paper's AMP).
# Usage, from the repository root: OUT=DIR DATA=TRAIN_DIR VAL=VAL_DIR bash benchmarks/gpu_session.sh
# Works without installing the package (PYTHONPATH=src) on a machine that has its dependencies.
set -u
OUT=${OUT:-runs/gpu-session}
DATA=${DATA:-runs/data}
VAL=${VAL:-../shared/data/bsds500/val}
MODELS=${MODELS:-wavemix-paper,unet,lama-fourier,wavemix-small}
RUN=${RUN:-/tmp/default-model-gpu}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
cli() { python3 -m wavemix_inpaint.cli.main "$@"; }
log="$OUT/session.log"

{
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv
  python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(), 'cpus', __import__('os').cpu_count())"
  echo "== CUDA tests"
  timeout 180 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py 2>&1 | tail -25
  echo "== training"
  timeout 420 python3 -m wavemix_inpaint.cli.main train --config configs/default-model-gpu.yaml --data "$DATA" \
    --val-data "$VAL" --output "$RUN" --no-progress 2>&1 | tail -40
  cp "$RUN"/best.safetensors "$RUN"/best.json "$RUN"/metrics.csv "$OUT"/ 2>/dev/null
  for precision in fp32 fp16; do
    echo "== benchmark $precision"
    timeout 150 python3 -m wavemix_inpaint.cli.main benchmark --device cuda --models "$MODELS" --min-seconds 1 \
      --precision "$precision" --output "$OUT/benchmark-$precision.md" --json "$OUT/benchmark-$precision.json" 2>&1 | tail -15
  done
} 2>&1 | tee "$log"
