"""Runtime pieces: the active loop, its selector and hooks, online
acquisition, model wrappers, optimiser constructors and schedulers."""
from . import hooks, schedulers  # noqa: F401
from .active_loop import ActiveLoop
from .adversarial_ddp_wrapper import ADAAdversarialDistributedDataParallel
from .ddp_wrapper import ADADistributedDataParallel
from .hooks import RoundMetricHook
from .human_rounds import EXIT_AWAITING_LABELS, AwaitingLabels, HumanRounds
from .online_acquisition import OnlineAcquisition
from .optimizers import ADAAdversarialOptimWrapperConstructor
from .schedulers import RestartPolyLR
from .selector import ActiveSelector

__all__ = [
    'ActiveLoop', 'ActiveSelector', 'ADAAdversarialDistributedDataParallel',
    'ADAAdversarialOptimWrapperConstructor', 'ADADistributedDataParallel',
    'RestartPolyLR', 'RoundMetricHook', 'AwaitingLabels',
    'EXIT_AWAITING_LABELS', 'HumanRounds', 'OnlineAcquisition'
]
