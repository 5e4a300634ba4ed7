"""DANN: a binary domain discriminator through gradient reversal."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from mmseg_ada.structures import StreamOutputs
from .adversarial_regularizer import AdversarialClsRegularizer
from .gradient_reversal import grad_reverse

__all__ = ['DANNRegularizer']

_TARGET_STREAMS = ('unlabeled', 'target')


@MODELS.register_module()
class DANNRegularizer(AdversarialClsRegularizer):
    """Domain-adversarial training (Ganin et al., JMLR 2016; SAGE Eq. 1).

    ``L = L_S - lambda inf_d L_INV`` with a discriminator ``d: Z -> [0, 1]``
    on the embedding z, ``d`` = P(source).  With ``form='bce'`` (default)::

        L_adv = mean_S[-log d(z)] + mean_T[-log(1 - d(z))]

    (``form='paper'``: SAGE's literal ``L_INV = E_S[log(1 - d)] +
    E_T[log d]``), computed on ``d(GRL(z))``: ``d`` descends on
    ``lambda L_adv``, the representation ascends (reversed gradient).
    The supervised losses are the classifier's solver (Omega); this adds
    ``{prefix}.loss_adv`` and logs ``{prefix}.acc`` (discriminator accuracy
    on the batch, percent) and ``{prefix}.coeff`` (GRL coefficient).

    Target samples come from ``target_streams``: the unlabelled stream
    (default), optionally also the labelled target stream (``('unlabeled',
    'target')``; a labelled target image is a target-domain sample all the
    same).  Only their embeddings are used, never labels.

    Served to selection: ``'domain'`` = ``[1]`` ``P(source)`` per image
    (AADA's ``d``: importance weight ``(1 - d) / d``).

    Args:
        discriminator (dict): Defaults to ``MLPDiscriminator(256, 1)``.
        target_streams (Sequence[str]): See above.
        prefix (str): Defaults to ``'dann'``.
        **kwargs: See :class:`AdversarialClsRegularizer` (``loss_weight``,
            ``grl_coeff``, ``grl_schedule``, ``grl_gamma``, ``form``).
    """

    def __init__(self,
                 discriminator: dict = dict(
                     type='MLPDiscriminator', in_channels=256, out_channels=1),
                 target_streams: Sequence[str] = ('unlabeled', ),
                 prefix: str = 'dann',
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(
            discriminator=discriminator,
            prefix=prefix,
            init_cfg=init_cfg,
            **kwargs)
        if getattr(self.discriminator, 'out_channels', 1) != 1:
            raise ValueError('DANNRegularizer: the discriminator must output '
                             'one logit (out_channels=1), got '
                             f'{self.discriminator.out_channels}')
        target_streams = tuple(target_streams)
        bad = [s for s in target_streams if s not in _TARGET_STREAMS]
        if not target_streams or bad:
            raise ValueError('DANNRegularizer: target_streams must be a '
                             f'non-empty subset of {_TARGET_STREAMS}, got '
                             f'{target_streams}')
        self.target_streams = target_streams
        # 'target' is optional (absent before the first query)
        self.required_streams = ('source', 'unlabeled') if (
            'unlabeled' in target_streams) else ('source', )

    def loss(self, streams: Dict[str, StreamOutputs],
             head: BaseModule) -> Dict[str, Tensor]:
        """``{prefix}.loss_adv``, ``{prefix}.acc`` and ``{prefix}.coeff``.

        Args:
            streams (dict[str, StreamOutputs]): ``'source'`` and the target
                streams.
            head (BaseModule): Unused.

        Returns:
            dict[str, Tensor]: The weighted adversarial loss and logs.
        """
        tgt = [
            streams[s].embedding for s in self.target_streams if s in streams
        ]
        if not tgt:
            raise ValueError('DANNRegularizer: none of the target streams '
                             f'{self.target_streams} is in the batch')
        coeff = self.current_grl_coeff()
        z_s = streams['source'].embedding
        z_t = torch.cat(tgt)
        a = self.discriminator(grad_reverse(torch.cat([z_s, z_t]), coeff))
        a = a.reshape(-1)
        a_s, a_t = a[:len(z_s)], a[len(z_s):]
        loss = (
            self.domain_term(a_s, True).mean() +
            self.domain_term(a_t, False).mean())
        with torch.no_grad():
            acc = torch.cat([a_s > 0, a_t <= 0]).float().mean() * 100
        return {
            f'{self.prefix}.loss_adv': self.loss_weight * loss,
            f'{self.prefix}.acc': acc,
            f'{self.prefix}.coeff': a.new_tensor(coeff),
        }
