"""mmseg_ada.evaluation: metrics for the DA protocols."""
from .synthia_metric import SynthiaIoUMetric

__all__ = ['SynthiaIoUMetric']
