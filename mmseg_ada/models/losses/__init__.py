"""Losses of the classification ADA methods."""
from .sdm_loss import SDMLoss, sdm_margin_terms

__all__ = ['SDMLoss', 'sdm_margin_terms']
