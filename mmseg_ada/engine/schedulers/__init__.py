"""Parameter schedulers."""
from .restart_poly_lr import RestartPolyLR

__all__ = ['RestartPolyLR']
