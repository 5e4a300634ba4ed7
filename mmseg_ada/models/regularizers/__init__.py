"""Regularisers on unlabelled data for the ADA image classifier."""
from .base_cls_regularizer import BaseClsRegularizer, StreamOutputs
from .gradient_reversal import grad_reverse
from .mme_regularizer import MMERegularizer, mean_entropy

__all__ = [
    'BaseClsRegularizer', 'MMERegularizer', 'StreamOutputs', 'grad_reverse',
    'mean_entropy'
]
