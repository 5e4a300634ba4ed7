"""Optimiser-wrapper constructors."""
from .adversarial_constructor import ADAAdversarialOptimWrapperConstructor

__all__ = ['ADAAdversarialOptimWrapperConstructor']
