"""Domain discriminators for adversarial domain adaptation."""
from .fc_discriminator import FCDiscriminator
from .mlp_discriminator import MLPDiscriminator

__all__ = ['FCDiscriminator', 'MLPDiscriminator']
