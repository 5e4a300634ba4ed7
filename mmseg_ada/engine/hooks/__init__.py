"""Hooks of the active protocol."""
from .round_metric_hook import RoundMetricHook

__all__ = ['RoundMetricHook']
