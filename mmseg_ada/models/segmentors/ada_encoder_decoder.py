"""Encoder-decoder trained on a labelled source batch plus a target batch."""
from __future__ import annotations

import copy
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType, OptSampleList, SampleList
from torch import Tensor, nn

from mmseg_ada.active.requirements import unserved_hint

#: Maps a domain discriminator can judge (AdaptSegNet / ADVENT).
DISC_INPUTS = ('softmax', 'entropy')


def discriminator_input(seg_logits: Tensor, size: Optional[Tuple[int, int]],
                        kind: str, normalize: bool,
                        align_corners: bool) -> Tensor:
    """The map a domain discriminator judges for ``seg_logits``.

    Args:
        seg_logits: logits ``(B, C, h, w)``.
        size: ``(H, W)`` to upsample to first (bilinear), or ``None``.
        kind: ``'softmax'`` (``P``) or ``'entropy'`` (``-P log P``).
        normalize: divide the entropy map by ``log C``.
        align_corners: of the upsampling (the head's).

    Returns:
        Tensor: ``(B, C, H, W)``.
    """
    if size is not None and tuple(seg_logits.shape[2:]) != tuple(size):
        seg_logits = resize(
            seg_logits,
            size=tuple(size),
            mode='bilinear',
            align_corners=align_corners)
    log_p = F.log_softmax(seg_logits, dim=1)
    prob = log_p.exp()
    if kind == 'softmax':
        return prob
    ent = -prob * log_p  # exact and finite where p underflows to 0
    if normalize:
        ent = ent / math.log(seg_logits.shape[1])
    return ent


def has_labels(data_samples: OptSampleList, ignore_index: int = 255) -> bool:
    """Whether any sample carries at least one non-ignored label pixel.

    Args:
        data_samples: segmentation samples (``gt_sem_seg``), or ``None``.
        ignore_index: the label of unlabelled pixels.

    Returns:
        bool: ``False`` for ``None`` or an empty list.
    """
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

    A domain discriminator can be kept for the selection pass only
    (``discriminator``, e.g. AADA's ``'domain'``): it judges the decode
    head's output as the AdaptSegNet / ADVENT warm-up's discriminator did
    (``disc_input``), is never trained by this model (its parameters have
    ``requires_grad=False``) and is named ``discriminator`` so that the
    warm-up checkpoint's ``discriminator.*`` weights load into it
    (``load_from``).

    Args:
        target_loss_weight (float): weight of the supervised target losses.
        discriminator (dict, optional): config of a frozen domain
            discriminator of the decode head's output (``in_channels``
            defaults to its classes), for ``predict_active('domain')``.
        disc_input (str): what it sees: ``'softmax'`` (AdaptSegNet) or
            ``'entropy'`` (ADVENT's ``-P log P / log C``), from logits
            upsampled to the input size.
        disc_source_label (float): the label it was trained to give source
            maps (0 in both warm-ups; the target label is ``1 -`` it).
        **kwargs: the arguments of :class:`EncoderDecoder`.
    """

    #: the config keys that decide what :meth:`predict_active` serves
    #: (named by the selector's refusal)
    ACTIVE_CONFIG_KEYS = ('model.discriminator, model.decode_head or '
                          'model.auxiliary_head')

    def __init__(self,
                 *args,
                 target_loss_weight: float = 1.0,
                 discriminator: OptConfigType = None,
                 disc_input: str = 'softmax',
                 disc_source_label: float = 0.,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.target_loss_weight = float(target_loss_weight)
        if disc_input not in DISC_INPUTS:
            raise ValueError(f'disc_input must be one of {DISC_INPUTS}, got '
                             f'{disc_input!r}')
        if float(disc_source_label) not in (0., 1.):
            raise ValueError('disc_source_label must be 0 or 1, got '
                             f'{disc_source_label}')
        self.disc_input_kind = disc_input
        self.disc_source_label = float(disc_source_label)
        self.discriminator = None
        if discriminator is not None:
            cfg = copy.deepcopy(dict(discriminator))
            cfg.setdefault('in_channels', int(self.decode_head.out_channels))
            self.discriminator = MODELS.build(cfg)
            self.discriminator.requires_grad_(False)

    # ------------------------------------------------------------------ API
    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor',
                target_inputs: Optional[Tensor] = None,
                target_data_samples: OptSampleList = None,
                **streams):
        """Dispatch like :meth:`BaseSegmentor.forward`; ``loss`` also takes
        the target part of the batch (other streams are ignored).

        Args:
            inputs: ``[B, 3, H, W]`` (source) images.
            data_samples: their samples.
            mode: ``'tensor'``, ``'predict'`` or ``'loss'``.
            target_inputs: target images (``'loss'`` only).
            target_data_samples: their samples (``'loss'`` only).
            **streams: other streams of the batch (ignored).

        Returns:
            Tensor | list[SegDataSample] | dict[str, Tensor]: as
            :meth:`BaseSegmentor.forward`; :meth:`loss`'s dict.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples, target_inputs,
                             target_data_samples)
        return super().forward(inputs, data_samples, mode)

    def supervised_losses(self, feats: List[Tensor],
                          data_samples: SampleList) -> Dict[str, Tensor]:
        """Decode (+ auxiliary) head losses for already extracted features.

        Args:
            feats: the backbone's (and neck's) feature maps.
            data_samples: samples with ``gt_sem_seg``.

        Returns:
            dict[str, Tensor]: the heads' losses (``decode.``/``aux.``
            prefixed, as mmseg names them).
        """
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
        ``'prob'`` and ``'image_gradient'``; ``'feature'`` and
        ``'feature_sq_norm'`` with a decode head that has
        ``forward_feature``; ``'aux_prob'`` with an auxiliary head;
        ``'domain'`` with a ``discriminator``.  The selection setup checks a
        strategy's ``requires`` against it before any training (no forward
        pass)."""
        names = ['prob']
        if getattr(self.decode_head, 'with_features', False):
            names += ['feature', 'feature_sq_norm']
        if self.with_auxiliary_head:
            names.append('aux_prob')
        if getattr(self, 'discriminator', None) is not None:
            names.append('domain')
        names.append('image_gradient')
        return tuple(names)

    def check_active_requires(self, requires: Sequence[str]) -> None:
        """Raise ``KeyError`` for the names of ``requires`` that
        :meth:`active_outputs` does not list (segmentors serve no
        constants), saying why (the configuration, or the declaration in
        :mod:`mmseg_ada.active.requirements`).

        Args:
            requires: a strategy's ``requires``.
        """
        served = self.active_outputs()
        missing = [n for n in dict.fromkeys(requires) if n not in served]
        if not missing:
            return
        hints = {
            'feature': (f'{type(self.decode_head).__name__} exposes no '
                        "feature map: 'feature' needs a head with "
                        'forward_feature (DepthwiseSeparableASPPFeatHead, '
                        'DeepLabV2Head(bottleneck=True))'),
            'feature_sq_norm': ("'feature_sq_norm' needs a head with "
                                'forward_feature'),
            'aux_prob':
            "'aux_prob' needs an auxiliary_head",
            'domain': ("'domain' needs a domain discriminator: "
                       "model.discriminator=dict(type='FCDiscriminator'), "
                       'loaded from the adversarial warm-up'),
        }
        why = '; '.join(hints[n] if n in hints else unserved_hint(n, 'region')
                        for n in missing
                        if n in hints or unserved_hint(n, 'region'))
        raise KeyError(f'{type(self).__name__}.predict_active cannot serve '
                       f'{missing}: it serves {list(served)}' +
                       (f'; {why}' if why else ''))

    # -------------------------------------------------- selection pass
    def _domain_map(self, seg_logits: Tensor, size: Tuple[int, int]) -> Tensor:
        """The map the domain discriminator judges (upsampled to ``size``)."""
        return discriminator_input(seg_logits, size, self.disc_input_kind,
                                   True, self.align_corners)

    def _domain_source_label(self) -> float:
        return self.disc_source_label

    def domain_source_prob(self, seg_logits: Tensor,
                           size: Tuple[int, int]) -> Tensor:
        """``P(source)`` per location from the domain discriminator.

        Args:
            seg_logits: decode-head logits ``[B, C, h, w]``.
            size: the input size the maps are upsampled to before the
                discriminator (as in training).

        Returns:
            Tensor: ``[B, 1, h, w]``: ``sigmoid(D(m))`` (or ``1 -`` it when
            the source label is 0), resized bilinearly from D's coarse
            output (about 1/32 of ``size``) to the logits' size.
        """
        if getattr(self, 'discriminator', None) is None:
            raise KeyError(f"{type(self).__name__} has no discriminator for "
                           "'domain' (set model.discriminator, e.g. "
                           "dict(type='FCDiscriminator'), loaded from the "
                           'adversarial warm-up)')
        d = torch.sigmoid(
            self.discriminator(self._domain_map(seg_logits, size)))
        if self._domain_source_label() == 0.:
            d = 1. - d
        return resize(
            d,
            size=tuple(seg_logits.shape[2:]),
            mode='bilinear',
            align_corners=False)

    def image_gradient(self, inputs: Tensor) -> Tensor:
        """ReDAL's colour discontinuity on the pixel grid, per pixel.

        The mean absolute RGB difference (colours in ``[0, 1]``, the
        preprocessor's normalisation undone) between a pixel and its 8
        neighbours (those inside the image), averaged over the channels and
        clipped at 0.1 as ReDAL clips its colour gradient.

        Args:
            inputs: preprocessed images ``[B, 3, H, W]``.

        Returns:
            Tensor: ``[B, 1, H, W]`` in ``[0, 0.1]``.
        """
        pre = self.data_preprocessor
        x = inputs.float()
        mean, std = getattr(pre, 'mean', None), getattr(pre, 'std', None)
        if mean is not None and std is not None:
            x = x * std.to(x) + mean.to(x)
        x = x / 255.
        b, c, h, w = x.shape
        pad = F.pad(x, (1, 1, 1, 1))
        inside = F.pad(x.new_ones(1, 1, h, w), (1, 1, 1, 1))
        total = x.new_zeros(b, 1, h, w)
        count = x.new_zeros(1, 1, h, w)
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                if dy == 1 and dx == 1:
                    continue
                nb = pad[:, :, dy:dy + h, dx:dx + w]
                ok = inside[:, :, dy:dy + h, dx:dx + w]
                total += ((nb - x).abs().mean(1, keepdim=True) * ok)
                count += ok
        return (total / count).clamp(max=0.1)

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
        256-d feature map before the classifier, likewise),
        ``'aux_prob'`` (softmax of the auxiliary head, likewise),
        ``'domain'`` (``[1, h, w]`` ``P(source)`` of the frozen domain
        discriminator, see :meth:`domain_source_prob`, at the prob's
        resolution), ``'feature_sq_norm'`` (``[1, h', w']`` squared L2 norm
        of the feature map: with ``'feature'`` a region's mean gives its
        feature variance) and ``'image_gradient'`` (``[1, H, W]`` at the
        input's resolution, see :meth:`image_gradient`).

        Args:
            inputs: preprocessed images ``[B, 3, H, W]``.
            data_samples: their samples (``img_shape`` in the metainfo).
            requires: the names wanted (model outputs for region and pixel
                units, declared in
                :data:`mmseg_ada.active.requirements.REQUIREMENTS`).

        Returns:
            dict: name -> list of per-image tensors (``[C, h, w]``,
            ``[D, h', w']``).
        """
        self.check_active_requires(requires)
        x = self.extract_feat(inputs)
        head = self.decode_head
        maps: Dict[str, Tensor] = {}
        if 'feature' in requires or 'feature_sq_norm' in requires:
            feat = head.forward_feature(x)
            logits = head.cls_seg(feat)
            maps['feature'] = feat
            maps['feature_sq_norm'] = feat.float().pow(2).sum(1, keepdim=True)
        else:
            logits = head.forward(x)
        maps['prob'] = logits.softmax(1)
        if 'aux_prob' in requires:
            aux = self.auxiliary_head
            aux = aux[0] if isinstance(aux, nn.ModuleList) else aux
            maps['aux_prob'] = aux.forward(x).softmax(1)
        if 'domain' in requires:
            maps['domain'] = self.domain_source_prob(logits,
                                                     tuple(inputs.shape[2:]))
        if 'image_gradient' in requires:
            maps['image_gradient'] = self.image_gradient(inputs)
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
