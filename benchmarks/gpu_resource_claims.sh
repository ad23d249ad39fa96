#!/usr/bin/env bash
# The paper's resource-efficiency claims measured the paper's way, on a lent GPU, in under 10 minutes:
# WaveMix (the paper's model), LaMa (its generators, trained with LaMa's full objective: PatchGAN + R1 +
# feature matching + pixel loss + the dilated-ResNet-50 perceptual loss, random weights: same compute) and
# the U-Net; inference at batch 1 and 40, one training step with each model's own paper objective and with
# SSIM+L1 for all, in fp32 and in fp16 autocast (the paper's AMP). Results (Markdown + JSON) go to $OUT.
# The paper (one GTX 1080): WaveMix 1,387 s vs LaMa 4,861 s per epoch (3.5x), 137 vs 112 img/s (1.22x).
# Usage, from the repository root: OUT=DIR bash benchmarks/gpu_resource_claims.sh
# A rehearsal on a CPU (checks the script end to end, not the GPU numbers):
#   DEVICE=cpu PRECISIONS=fp32 MODELS=unet OUT=/tmp/claims bash benchmarks/gpu_resource_claims.sh
set -u
DEVICE=${DEVICE:-cuda}
PRECISIONS=${PRECISIONS:-fp32 fp16}
OUT=${OUT:-runs/gpu-resource-claims}
MODELS=${MODELS:-wavemix-paper,lama-fourier,big-lama,unet}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
{
  [ "$DEVICE" = cpu ] || nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  for precision in $PRECISIONS; do
    echo "== benchmark $precision"
    timeout 240 python3 -m wavemix_inpaint.cli.main benchmark --device "$DEVICE" --models "$MODELS" --min-seconds 1 \
      --batch 40 --precision "$precision" --output "$OUT/claims-$precision.md" --json "$OUT/claims-$precision.json" 2>&1 | tail -20
  done
} 2>&1 | tee "$OUT/session.log"
