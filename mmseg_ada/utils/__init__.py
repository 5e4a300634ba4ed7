"""Utilities shared by the package (no registry entries)."""
from .compat import apply as apply_compat
from .launch import close_distributed, end_process, setup_launcher

__all__ = [
    'apply_compat', 'close_distributed', 'end_process', 'setup_launcher'
]
