"""TSF: soft class-conditioned adversarial loss (SAGE Eq. 2, 10)."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from mmseg_ada.structures import StreamOutputs
from .adversarial_regularizer import AdversarialClsRegularizer
from .gradient_reversal import grad_reverse

__all__ = ['TSFRegularizer', 'tsf_disc_grad']


def tsf_disc_grad(discriminator, z: Tensor, chunk: int = 64) -> Tensor:
    """SAGE Eq. 3 for a class-level discriminator: ``[N, C, D]``.

    Row ``c`` of sample ``n`` is ``-d log d_c(z_n) / dz_n`` with ``d_c =
    sigmoid(a_c)`` (``P(source | class c)``), i.e. ``-(1 - d_c)
    grad_z a_c``; one backward pass per class over the whole batch (the
    samples are independent: the discriminator has no batch statistics,
    and dropout must be off, i.e. ``eval()``).

    Args:
        discriminator: ``[N, D] -> [N, C]`` logits.
        z (Tensor): ``[N, D]`` representations.
        chunk (int): Classes differentiated per batched backward pass.

    Returns:
        Tensor: ``[N, C, D]``, detached, the dtype of ``z``.
    """
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        a = discriminator(z)
        if a.dim() != 2 or a.shape[0] != z.shape[0]:
            raise ValueError('the discriminator must output [N, C] logits, '
                             f'got {tuple(a.shape)}')
        n, c = a.shape
        nll = -F.logsigmoid(a)  # [N, C], row sums are per-sample
        rows = []
        for s in range(0, c, chunk):
            e = min(s + chunk, c)
            # one-hot output gradients [e - s, N, C], vmapped over classes
            eye = torch.zeros(e - s, n, c, dtype=a.dtype, device=a.device)
            eye[torch.arange(e - s), :, torch.arange(s, e)] = 1.0
            (g, ) = torch.autograd.grad(
                nll,
                z,
                grad_outputs=eye,
                retain_graph=e < c,
                is_grads_batched=True)
            rows.append(g)  # [e - s, N, D]
    return torch.cat(rows).transpose(0, 1).detach()


@MODELS.register_module()
class TSFRegularizer(AdversarialClsRegularizer):
    """TSF (Bouvier et al.), SAGE's adaptation loss (Eq. 2, trained by
    Eq. 10).

    A class-level discriminator ``d: Z -> [0, 1]^C`` (C sigmoid outputs,
    ``d_c`` = P(source | class c)) on the embedding z, conditioned through
    the dot product with the label, not as an input::

        L_TSF = E_S[Y . log(1 - d(z))] + E_T[Y^ . log d(z)]     (Eq. 2)

    with the one-hot source label ``Y`` and the target prediction ``Y^ =
    softmax`` of the unlabelled stream (soft class conditioning).  ``d``
    minimises it, the representation maximises it (gradient reversal):
    ``(f, phi, d) <- (f, phi, d) - alpha grad [Omega + lambda L_TSF]``
    (Eq. 10), so the classifier's supervised solver is Omega and this adds
    ``lambda L_TSF`` on the source batch and the unlabelled target batch
    (Algorithm 2: the labelled target batch enters only through Omega).

    ``form='bce'`` (default) uses the discriminator's binary cross-entropy,
    ``mean_S[sum_c Y_c (-log d_c)] + mean_T[sum_c Y^_c (-log(1 - d_c))]``
    (same optimum direction, bounded below, what CDAN/DANN-style codes
    minimise); ``form='paper'`` the literal Eq. 2.  ``Y^`` is detached by
    default (the paper does not say; CDAN-style codes detach it):
    ``detach_pred=False`` lets the adversarial gradient reach the
    classifier through ``Y^``.

    Served to selection (SAGE's contract,
    :class:`~mmseg_ada.active.strategies.SAGE`):

    * ``'domain'``: ``[C]`` ``d_c(z)`` per image;
    * ``'disc_grad'``: ``[C, D]`` rows ``-d log d_c(z) / dz`` (Eq. 3), by
      autograd with respect to the embedding (:func:`tsf_disc_grad`),
      computed in the model's current mode (the selection pass uses
      ``eval()``, so dropout is off).

    Args:
        num_classes (int): ``C``; the discriminator's ``out_channels`` is
            set to it. Must equal the head's classes.
        discriminator (dict): Defaults to ``MLPDiscriminator(256, C)``.
        detach_pred (bool): Detach ``Y^``. Defaults to True.
        prefix (str): Defaults to ``'tsf'``.
        **kwargs: See :class:`AdversarialClsRegularizer` (``loss_weight``
            = lambda, ``grl_coeff``, ``grl_schedule``, ``grl_gamma``,
            ``form``).
    """

    required_streams = ('source', 'unlabeled')
    active_outputs = ('disc_grad', )

    def __init__(self,
                 num_classes: int,
                 discriminator: dict = dict(
                     type='MLPDiscriminator', in_channels=256),
                 detach_pred: bool = True,
                 prefix: str = 'tsf',
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if int(num_classes) < 2:
            raise ValueError('TSFRegularizer: num_classes must be >= 2, got '
                             f'{num_classes}')
        discriminator = dict(discriminator, out_channels=int(num_classes))
        super().__init__(
            discriminator=discriminator,
            prefix=prefix,
            init_cfg=init_cfg,
            **kwargs)
        self.num_classes = int(num_classes)
        self.detach_pred = bool(detach_pred)

    def loss(self, streams: Dict[str, StreamOutputs],
             head: BaseModule) -> Dict[str, Tensor]:
        """``{prefix}.loss_adv`` = ``lambda L_TSF`` and logs.

        Args:
            streams (dict[str, StreamOutputs]): ``'source'`` (with
                ``gt_label``) and ``'unlabeled'``.
            head (BaseModule): Head with ``gt_labels``.

        Returns:
            dict[str, Tensor]: The loss, ``{prefix}.acc`` (discriminator
            accuracy of the label-weighted outputs, percent) and
            ``{prefix}.coeff`` (GRL coefficient).
        """
        src, unl = streams['source'], streams['unlabeled']
        if unl.logits.shape[1] != self.num_classes:
            raise ValueError(
                f'TSFRegularizer has num_classes={self.num_classes} but the '
                f'classifier predicts {unl.logits.shape[1]} classes; set the '
                "regulariser's num_classes to the head's")
        labels = head.gt_labels(src.data_samples).to(src.logits.device)
        if len(labels) and (labels.min() < 0
                            or labels.max() >= self.num_classes):
            raise ValueError(f'TSFRegularizer: source labels outside [0, '
                             f'{self.num_classes})')
        y_s = F.one_hot(labels, self.num_classes).to(src.embedding.dtype)
        y_t = F.softmax(unl.logits, dim=1)
        if self.detach_pred:
            y_t = y_t.detach()
        coeff = self.current_grl_coeff()
        n = len(src.embedding)
        a = self.discriminator(
            grad_reverse(torch.cat([src.embedding, unl.embedding]), coeff))
        if a.shape[1] != self.num_classes:
            raise ValueError(f'TSFRegularizer: discriminator outputs '
                             f'{a.shape[1]} logits for {self.num_classes} '
                             'classes')
        a_s, a_t = a[:n], a[n:]
        loss = ((y_s * self.domain_term(a_s, True)).sum(1).mean() +
                (y_t * self.domain_term(a_t, False)).sum(1).mean())
        with torch.no_grad():
            # P(source) of each sample under its (soft) label
            d_s = (y_s * a_s.sigmoid()).sum(1)
            d_t = (y_t * a_t.sigmoid()).sum(1)
            acc = torch.cat([d_s > 0.5, d_t <= 0.5]).float().mean() * 100
        return {
            f'{self.prefix}.loss_adv': self.loss_weight * loss,
            f'{self.prefix}.acc': acc,
            f'{self.prefix}.coeff': a.new_tensor(coeff),
        }

    def predict_active(self, requires: Sequence[str], embedding: Tensor,
                       logits: Tensor) -> Dict[str, Tensor]:
        """``'disc_grad'``: ``[N, C, D]`` (Eq. 3, :func:`tsf_disc_grad`).

        Args:
            requires: names to serve (only ``'disc_grad'``).
            embedding: ``[N, D]`` embeddings z.
            logits: unused.

        Returns:
            dict[str, Tensor]: ``{'disc_grad': [N, C, D]}`` (detached).

        Raises:
            ValueError: For another name.
        """
        out = {}
        for name in requires:
            if name != 'disc_grad':
                raise ValueError(f'TSFRegularizer serves {self.active_outputs}'
                                 f', not {name!r}')
            out[name] = tsf_disc_grad(self.discriminator, embedding)
        return out
