"""Runtime pieces: model wrappers, hooks and loops of the active protocol."""
from .ddp_wrapper import ADADistributedDataParallel

__all__ = ['ADADistributedDataParallel']
