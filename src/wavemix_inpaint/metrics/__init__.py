"""Image-quality metrics: SSIM, PSNR, L1/L2 (whole image or hole region) and FID (offline weights only)."""

from wavemix_inpaint.metrics.fid import (
    FID_WEIGHTS_ENV,
    FID_WEIGHTS_FILENAMES,
    FIDMetric,
    RunningStatistics,
    feature_statistics,
    find_inception_weights,
    frechet_distance,
    load_fid_inception,
    trace_sqrt_product,
)
from wavemix_inpaint.metrics.image import (
    PSNR_CAP_DB,
    MetricAccumulator,
    compute_image_metrics,
    l1,
    l2,
    masked_image_mean,
    masked_ssim,
    psnr,
)
from wavemix_inpaint.metrics.inception import FIDInceptionV3
from wavemix_inpaint.metrics.ssim import gaussian_window, ssim, ssim_map

__all__ = [
    "FID_WEIGHTS_ENV",
    "FID_WEIGHTS_FILENAMES",
    "PSNR_CAP_DB",
    "FIDInceptionV3",
    "FIDMetric",
    "MetricAccumulator",
    "RunningStatistics",
    "compute_image_metrics",
    "feature_statistics",
    "find_inception_weights",
    "frechet_distance",
    "gaussian_window",
    "l1",
    "l2",
    "load_fid_inception",
    "masked_image_mean",
    "masked_ssim",
    "psnr",
    "ssim",
    "ssim_map",
    "trace_sqrt_product",
]
