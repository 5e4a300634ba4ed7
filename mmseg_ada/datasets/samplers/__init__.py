"""Data samplers."""
from .round_infinite_sampler import RoundInfiniteSampler

__all__ = ['RoundInfiniteSampler']
