"""Runtime pieces: model wrappers, hooks and loops of the active protocol."""
from .active_loop import ActiveIterBasedTrainLoop
from .adversarial_ddp_wrapper import ADAAdversarialDistributedDataParallel
from .ddp_wrapper import ADADistributedDataParallel
from .optimizers import ADAAdversarialOptimWrapperConstructor

__all__ = [
    'ActiveIterBasedTrainLoop', 'ADAAdversarialDistributedDataParallel',
    'ADAAdversarialOptimWrapperConstructor', 'ADADistributedDataParallel'
]
