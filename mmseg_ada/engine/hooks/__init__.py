"""Hooks of the active protocol."""
from .paa_hook import PAAHook
from .round_metric_hook import RoundMetricHook

__all__ = ['PAAHook', 'RoundMetricHook']
