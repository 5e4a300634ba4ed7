"""Encoder-decoder trained on a labelled source batch plus a target batch."""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptSampleList, SampleList
from torch import Tensor, nn


def has_labels(data_samples: OptSampleList, ignore_index: int = 255) -> bool:
    """Whether any sample carries at least one non-ignored label pixel."""
    if not data_samples:
        return False
    for sample in data_samples:
        gt = getattr(sample, 'gt_sem_seg', None)
        if gt is not None and bool((gt.data != ignore_index).any()):
            return True
    return False


@MODELS.register_module()
class ADAEncoderDecoder(EncoderDecoder):
    """:class:`EncoderDecoder` with a source and a target training stream.

    Training batches come from :class:`~mmseg_ada.datasets.SourceTargetDataset`
    through :class:`~mmseg_ada.models.data_preprocessors.
    MultiStreamSegDataPreProcessor`.  The source batch is trained with the
    decode (and auxiliary) head losses as in mmseg (keys ``src.*``); the
    target batch with the same losses on its *labelled* pixels only (keys
    ``tgt.*``, multiplied by ``target_loss_weight``).  Target pixels that were
    not bought carry the ignore index (255) - see
    :class:`~mmseg_ada.datasets.transforms.LoadBoughtLabels` - so with
    ``avg_non_ignore=True`` in the losses they contribute nothing, and a target
    batch without any label skips the target forward pass altogether
    (``tgt.*`` losses are then reported as zero so every rank logs the same
    keys).  Validation/test/inference are exactly :class:`EncoderDecoder`'s.

    Args:
        target_loss_weight (float): weight of the supervised target losses.
        **kwargs: the arguments of :class:`EncoderDecoder`.
    """

    def __init__(self,
                 *args,
                 target_loss_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.target_loss_weight = float(target_loss_weight)

    # ------------------------------------------------------------------ API
    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor',
                target_inputs: Optional[Tensor] = None,
                target_data_samples: OptSampleList = None,
                **streams):
        """Dispatch like :meth:`BaseSegmentor.forward`; ``loss`` also takes
        the target part of the batch (other streams are ignored)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples, target_inputs,
                             target_data_samples)
        return super().forward(inputs, data_samples, mode)

    def supervised_losses(self, feats: List[Tensor],
                          data_samples: SampleList) -> Dict[str, Tensor]:
        """Decode (+ auxiliary) head losses for already extracted features."""
        losses = self._decode_head_forward_train(feats, data_samples)
        if self.with_auxiliary_head:
            losses.update(
                self._auxiliary_head_forward_train(feats, data_samples))
        return losses

    def loss(self,
             inputs: Tensor,
             data_samples: SampleList,
             target_inputs: Optional[Tensor] = None,
             target_data_samples: OptSampleList = None) -> Dict[str, Tensor]:
        """Source losses plus supervised losses on labelled target pixels.

        Args:
            inputs: source images ``[B, 3, H, W]``.
            data_samples: source samples with ``gt_sem_seg``.
            target_inputs: target images, or ``None`` when the batch has none.
            target_data_samples: target samples whose ``gt_sem_seg`` is 255
                wherever the label store holds no label.

        Returns:
            dict of losses, ``src.``- and ``tgt.``-prefixed.
        """
        src = self.supervised_losses(self.extract_feat(inputs), data_samples)
        losses = {f'src.{k}': v for k, v in src.items()}
        ignore = getattr(self.decode_head, 'ignore_index', 255)
        if target_inputs is not None and has_labels(target_data_samples,
                                                    ignore):
            tgt = self.supervised_losses(
                self.extract_feat(target_inputs), target_data_samples)
            for k, v in tgt.items():
                if 'loss' in k:
                    v = v * self.target_loss_weight
                losses[f'tgt.{k}'] = v
        else:
            zero = inputs.new_zeros(())
            for k in src:
                losses[f'tgt.{k}'] = zero
        return losses

    def active_outputs(self) -> Tuple[str, ...]:
        """The names :meth:`predict_active` serves with this configuration:
        ``'prob'``; ``'feature'`` with a decode head that has
        ``forward_feature``; ``'aux_prob'`` with an auxiliary head.  The
        selection setup checks a strategy's ``requires`` against it before
        any training (no forward pass)."""
        names = ['prob']
        if getattr(self.decode_head, 'with_features', False):
            names.append('feature')
        if self.with_auxiliary_head:
            names.append('aux_prob')
        return tuple(names)

    def check_active_requires(self, requires: Sequence[str]) -> None:
        """Raise ``KeyError`` for the names of ``requires`` that
        :meth:`active_outputs` does not list (segmentors serve no
        constants)."""
        served = self.active_outputs()
        missing = [n for n in dict.fromkeys(requires) if n not in served]
        if not missing:
            return
        hints = {
            'feature': (f'{type(self.decode_head).__name__} exposes no '
                        "feature map: 'feature' needs a head with "
                        'forward_feature (DepthwiseSeparableASPPFeatHead, '
                        'DeepLabV2Head(bottleneck=True))'),
            'aux_prob':
            "'aux_prob' needs an auxiliary_head",
        }
        why = '; '.join(hints[n] for n in missing if n in hints)
        raise KeyError(f'{type(self).__name__}.predict_active cannot serve '
                       f'{missing}: it serves {list(served)}' +
                       (f'; {why}' if why else ''))

    @torch.no_grad()
    def predict_active(
        self,
        inputs: Tensor,
        data_samples: SampleList,
        requires: Sequence[str] = ('prob', )
    ) -> Dict[str, List[Tensor]]:
        """Per-image outputs for the active selection pass.

        Served names: ``'prob'`` (softmax of the decode head at the head's
        own output resolution, cropped to each image's valid area, i.e.
        padding removed: region units pool it at that resolution, pixel
        units upsample it to the image), ``'feature'`` (the decode head's
        256-d feature map before the classifier, likewise) and
        ``'aux_prob'`` (softmax of the auxiliary head, likewise).

        Args:
            inputs: preprocessed images ``[B, 3, H, W]``.
            data_samples: their samples (``img_shape`` in the metainfo).
            requires: the names wanted.

        Returns:
            dict: name -> list of per-image tensors (``[C, h, w]``,
            ``[D, h', w']``).
        """
        self.check_active_requires(requires)
        x = self.extract_feat(inputs)
        head = self.decode_head
        maps: Dict[str, Tensor] = {}
        if 'feature' in requires:
            maps['feature'] = head.forward_feature(x)
            maps['prob'] = head.cls_seg(maps['feature']).softmax(1)
        else:
            maps['prob'] = head.forward(x).softmax(1)
        if 'aux_prob' in requires:
            aux = self.auxiliary_head
            aux = aux[0] if isinstance(aux, nn.ModuleList) else aux
            maps['aux_prob'] = aux.forward(x).softmax(1)
        ph, pw = inputs.shape[-2:]
        out: Dict[str, List[Tensor]] = {k: [] for k in requires}
        for name in requires:
            m = maps[name]
            for i, sample in enumerate(data_samples):
                h, w = sample.metainfo.get('img_shape', (ph, pw))[:2]
                mh = max(1, math.ceil(m.shape[-2] * h / ph))
                mw = max(1, math.ceil(m.shape[-1] * w / pw))
                out[name].append(m[i, :, :mh, :mw])
        return out
