"""Gradient reversal layer (Ganin & Lempitsky, ICML 2015)."""
from __future__ import annotations

from typing import Any, Tuple

import torch
from torch import Tensor

__all__ = ['grad_reverse']


class _GradReverse(torch.autograd.Function):
    """Identity forward; backward multiplies the gradient by ``-coeff``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, coeff: float) -> Tensor:
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Tensor, None]:
        return grad.neg() * ctx.coeff, None


def grad_reverse(x: Tensor, coeff: float = 1.0) -> Tensor:
    """Identity on ``x`` whose backward pass returns ``-coeff * grad``.

    Args:
        x (Tensor): Input.
        coeff (float): Scale of the reversed gradient. Defaults to 1.

    Returns:
        Tensor: ``x`` (a view), with reversed gradient.
    """
    return _GradReverse.apply(x, float(coeff))
