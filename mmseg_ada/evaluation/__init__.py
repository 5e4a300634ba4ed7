"""mmseg_ada.evaluation: metrics for the DA protocols."""
from .cls_accuracy_metric import ClsAccuracyMetric
from .synthia_metric import SynthiaIoUMetric

__all__ = ['ClsAccuracyMetric', 'SynthiaIoUMetric']
