"""Hooks of the active protocol."""
from .mcu_acquisition_hook import MCUAcquisitionHook
from .paa_hook import PAAHook
from .round_metric_hook import RoundMetricHook

__all__ = ['MCUAcquisitionHook', 'PAAHook', 'RoundMetricHook']
