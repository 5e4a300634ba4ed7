"""Data samplers."""
from .positioned_round_sampler import PositionedIndex, PositionedRoundSampler
from .round_infinite_sampler import RoundInfiniteSampler

__all__ = ['PositionedIndex', 'PositionedRoundSampler', 'RoundInfiniteSampler']
