"""Regularisers on unlabelled data for the ADA image classifier."""
from .adversarial_regularizer import AdversarialClsRegularizer, dann_grl_coeff
from .base_cls_regularizer import BaseClsRegularizer
from .dann_regularizer import DANNRegularizer
from .gradient_reversal import grad_reverse
from .mme_regularizer import MMERegularizer, mean_entropy
from .tsf_regularizer import TSFRegularizer, tsf_disc_grad

__all__ = [
    'AdversarialClsRegularizer', 'BaseClsRegularizer', 'DANNRegularizer',
    'MMERegularizer', 'TSFRegularizer', 'dann_grl_coeff', 'grad_reverse',
    'mean_entropy', 'tsf_disc_grad'
]
