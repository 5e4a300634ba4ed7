"""Utilities shared by the package (no registry entries)."""
from .compat import apply as apply_compat
from .launch import setup_launcher

__all__ = ['apply_compat', 'setup_launcher']
