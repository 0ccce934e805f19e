"""minigan.gan: GAN losses, the model zoo, the training step, the run folder and the Trainer."""

from . import losses, models
from .config import TrainConfig
from .losses import d_loss, g_loss, gradient_penalty, r1_penalty
from .models import ModelSpec, model_spec
from .run_folder import Run, RunFolder, load_run
from .step import gan_step
from .trainer import Trainer, TrainingDiverged, TrainingFailed

__all__ = ["ModelSpec", "Run", "RunFolder", "TrainConfig", "Trainer", "TrainingDiverged",
           "TrainingFailed", "d_loss", "g_loss", "gan_step", "gradient_penalty", "load_run",
           "losses", "model_spec", "models", "r1_penalty"]
