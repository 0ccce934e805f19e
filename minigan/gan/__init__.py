"""minigan.gan: GAN losses, the model zoo and the Trainer."""

from . import losses, models
from .losses import d_loss, g_loss, gradient_penalty, r1_penalty
from .trainer import TrainConfig, Trainer, TrainingDiverged, load_generator

__all__ = ["TrainConfig", "Trainer", "TrainingDiverged", "d_loss", "g_loss", "gradient_penalty",
           "load_generator", "losses", "models", "r1_penalty"]
