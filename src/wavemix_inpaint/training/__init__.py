"""Training pipeline: configuration, resumable loop, distributed helpers."""

from wavemix_inpaint.training.config import TrainConfig, load_train_config, make_train_config
from wavemix_inpaint.training.trainer import Trainer, TrainingError, resume_config, train

__all__ = ["TrainConfig", "Trainer", "TrainingError", "load_train_config", "make_train_config", "resume_config", "train"]
