"""Output-space adversarial adaptation (AdaptSegNet) and its entropy variant
(ADVENT) as an :class:`ADAEncoderDecoder` with its own ``train_step``."""
from __future__ import annotations

import copy
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce
from mmengine.optim import OptimWrapperDict
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from torch import Tensor, nn

from .ada_encoder_decoder import (ADAEncoderDecoder, discriminator_input,
                                  has_labels)

#: Level name -> (segmentor head attribute, discriminator attribute, suffix).
_LEVELS = (('main', 'decode_head', 'discriminator', ''),
           ('aux', 'auxiliary_head', 'aux_discriminator', '_aux'))
ADV_INPUTS = ('softmax', 'entropy')
#: Optimiser wrappers the model's ``train_step`` expects.
OPTIM_WRAPPER_KEYS = ('segmentor', 'discriminator')
DiscMaps = Dict[str, Tensor]


@MODELS.register_module()
class AdversarialEncoderDecoder(ADAEncoderDecoder):
    """Segmentor trained with output-space adversarial adaptation.

    `AdaptSegNet <https://arxiv.org/abs/1802.10349>`_ (Tsai et al., CVPR
    2018; ``adv_input='softmax'``) and `ADVENT
    <https://arxiv.org/abs/1811.12833>`_ (Vu et al., CVPR 2019;
    ``adv_input='entropy'``): a fully-convolutional discriminator ``D`` tells
    source from target segmentation outputs while the segmentor learns to
    make target outputs look like source ones.  Every training iteration
    (:meth:`train_step`) does:

    1. **Segmentor step** (``optim_wrapper['segmentor']``, discriminators
       frozen with ``requires_grad=False``): the supervised source losses
       (``src.*``), the supervised losses on *labelled* target pixels
       (``tgt.*``, exactly :class:`ADAEncoderDecoder`'s: zero during
       unsupervised warm-up, where target samples carry no ``gt_sem_seg``, and
       the bought labels during active fine-tuning) and the adversarial loss
       ``lambda_adv * BCE(D(m(P_t)), source_label)`` (``adv.loss_adv``), plus
       ``lambda_adv_aux`` times the same on the auxiliary head with
       ``aux_discriminator`` (``adv.loss_adv_aux``, AdaptSegNet's multi-level
       variant).
    2. **Discriminator step** (``optim_wrapper['discriminator']``) on the
       maps of step 1, detached:
       ``0.5 * BCE(D(m(P_s)), source_label)`` (``disc.loss_d_src``) and
       ``0.5 * BCE(D(m(P_t)), target_label)`` (``disc.loss_d_tgt``), per
       level (``*_aux``), as in both reference implementations.  ``disc.loss``
       is their sum.

    ``m(P)`` is the softmax ``P`` (AdaptSegNet) or the weighted
    self-information map ``-P log P`` (ADVENT; divided by ``log C`` when
    ``entropy_normalize``, as ADVENT's code does with ``log2``), computed from
    logits bilinearly upsampled to the input size of their batch
    (``upsample_disc_input=True``, both papers; ``False`` keeps the head's
    1/8 resolution, about 1/64 of the discriminator cost, and then D's output
    is tiny: 2x4 logits for a 512x1024 crop).  BCE is
    ``binary_cross_entropy_with_logits`` averaged over D's output map.
    Labels follow both papers: source 0, target 1.

    When a batch holds no target part (an empty target dataset), the
    adversarial and discriminator losses are reported as zero and the
    discriminator step is skipped (on every rank when distributed), so the
    same model also trains source-only.  Validation, test and inference are
    :class:`EncoderDecoder`'s; the discriminators are not used there.

    Optimisers: :meth:`train_step` needs an :class:`~mmengine.optim.
    OptimWrapperDict` with the keys ``'segmentor'`` and ``'discriminator'``
    (build it with :class:`~mmseg_ada.engine.optimizers.
    ADAAdversarialOptimWrapperConstructor`; :meth:`optim_wrapper_modules`
    says which children each one updates).  Distributed training needs
    :class:`~mmseg_ada.engine.ADAAdversarialDistributedDataParallel`
    (``model_wrapper_cfg``), which routes both forward passes through DDP.

    Args:
        discriminator (dict, optional): Config of the main-output
            discriminator; ``in_channels`` defaults to the decode head's
            ``out_channels``. ``None`` gives ``dict(type='FCDiscriminator')``.
        aux_discriminator (dict, optional): Config of the auxiliary-output
            discriminator (multi-level); needs exactly one auxiliary head.
            Default: None (single level).
        adv_input (str): ``'softmax'`` (AdaptSegNet) or ``'entropy'``
            (ADVENT). Default: ``'softmax'``.
        entropy_normalize (bool): Divide ``-P log P`` by ``log C``.
            Default: True.
        lambda_adv (float): Weight of the main adversarial loss.
            Default: 0.001.
        lambda_adv_aux (float): Weight of the auxiliary adversarial loss.
            Default: 0.0002.
        source_label (float): Discriminator target for source maps.
            Default: 0.
        target_label (float): Discriminator target for target maps.
            Default: 1.
        upsample_disc_input (bool): Upsample logits to the input size before
            building D's input. Default: True.
        **kwargs: Arguments of :class:`ADAEncoderDecoder` (``backbone``,
            ``decode_head``, ``auxiliary_head``, ``target_loss_weight``, ...).
    """

    def __init__(self,
                 *args,
                 discriminator: OptConfigType = None,
                 aux_discriminator: OptConfigType = None,
                 adv_input: str = 'softmax',
                 entropy_normalize: bool = True,
                 lambda_adv: float = 0.001,
                 lambda_adv_aux: float = 0.0002,
                 source_label: float = 0.,
                 target_label: float = 1.,
                 upsample_disc_input: bool = True,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if adv_input not in ADV_INPUTS:
            raise ValueError(f'adv_input must be one of {ADV_INPUTS}, got '
                             f'{adv_input!r}')
        for name, value in (('source_label', source_label), ('target_label',
                                                             target_label)):
            if not 0. <= float(value) <= 1.:
                raise ValueError(f'{name} must lie in [0, 1], got {value}')
        if float(source_label) == float(target_label):
            raise ValueError('source_label and target_label must differ, got '
                             f'{source_label} for both')
        for name, value in (('lambda_adv', lambda_adv), ('lambda_adv_aux',
                                                         lambda_adv_aux)):
            if float(value) < 0:
                raise ValueError(f'{name} must be >= 0, got {value}')
        self.adv_input = adv_input
        self.entropy_normalize = bool(entropy_normalize)
        self.lambda_adv = float(lambda_adv)
        self.lambda_adv_aux = float(lambda_adv_aux)
        self.source_label = float(source_label)
        self.target_label = float(target_label)
        self.upsample_disc_input = bool(upsample_disc_input)

        self.discriminator = self._build_discriminator(
            discriminator or dict(type='FCDiscriminator'), self.decode_head,
            'discriminator')
        if aux_discriminator is not None:
            if not self.with_auxiliary_head or isinstance(
                    self.auxiliary_head, nn.ModuleList):
                raise ValueError(
                    'aux_discriminator needs exactly one auxiliary_head '
                    '(multi-level adaptation on its logits)')
            self.aux_discriminator = self._build_discriminator(
                aux_discriminator, self.auxiliary_head, 'aux_discriminator')
        else:
            self.aux_discriminator = None

    @staticmethod
    def _build_discriminator(cfg: ConfigType, head: nn.Module,
                             name: str) -> nn.Module:
        cfg = copy.deepcopy(dict(cfg))
        channels = int(head.out_channels)
        cfg.setdefault('in_channels', channels)
        if int(cfg['in_channels']) != channels:
            raise ValueError(
                f'{name}.in_channels={cfg["in_channels"]} does not match the '
                f'{channels} output channels of the head it judges')
        return MODELS.build(cfg)

    # ------------------------------------------------------------ helpers
    def _levels(self) -> Iterator[Tuple[str, nn.Module, float, str]]:
        """(level, discriminator, loss weight, key suffix) of active levels."""
        weights = dict(main=self.lambda_adv, aux=self.lambda_adv_aux)
        for level, _, disc_attr, suffix in _LEVELS:
            disc = getattr(self, disc_attr, None)
            if disc is not None:
                yield level, disc, weights[level], suffix

    def discriminator_names(self) -> List[str]:
        """Names of the discriminator children (``discriminator``, ...)."""
        return [
            attr for _, _, attr, _ in _LEVELS
            if getattr(self, attr, None) is not None
        ]

    def optim_wrapper_modules(self) -> Dict[str, List[str]]:
        """Children updated by each optimiser wrapper.

        Returns:
            ``{'segmentor': [...], 'discriminator': [...]}``: child module
            names; every child belongs to exactly one wrapper.
        """
        discs = self.discriminator_names()
        seg = [n for n, _ in self.named_children() if n not in discs]
        return dict(segmentor=seg, discriminator=discs)

    def head_logits(self, feats: List[Tensor]) -> Dict[str, Tensor]:
        """Logits of the decode head (``'main'``) and auxiliary head(s).

        Args:
            feats: backbone (neck) features.

        Returns:
            ``{'main': logits}`` plus ``'aux'`` (one auxiliary head) or
            ``'aux_0'``, ``'aux_1'``, ... (a list of them).
        """
        out = dict(main=self.decode_head.forward(feats))
        if self.with_auxiliary_head:
            if isinstance(self.auxiliary_head, nn.ModuleList):
                for i, head in enumerate(self.auxiliary_head):
                    out[f'aux_{i}'] = head.forward(feats)
            else:
                out['aux'] = self.auxiliary_head.forward(feats)
        return out

    def losses_from_logits(self, logits: Dict[str, Tensor],
                           data_samples: SampleList) -> Dict[str, Tensor]:
        """Supervised head losses from :meth:`head_logits`' output.

        Equal to :meth:`ADAEncoderDecoder.supervised_losses` (mmseg's
        ``BaseDecodeHead.loss`` is ``loss_by_feat(forward(x))``), with the
        same ``decode.*`` / ``aux.*`` / ``aux_{i}.*`` keys, without running
        the heads twice.

        Args:
            logits: :meth:`head_logits`' output (``'main'``, ``'aux'`` or
                ``'aux_{i}'``).
            data_samples: samples with ``gt_sem_seg``.

        Returns:
            dict[str, Tensor]: the heads' losses.
        """
        losses = {}
        for key, value in self.decode_head.loss_by_feat(
                logits['main'], data_samples).items():
            losses[f'decode.{key}'] = value
        if self.with_auxiliary_head:
            if isinstance(self.auxiliary_head, nn.ModuleList):
                heads = [(f'aux_{i}', head)
                         for i, head in enumerate(self.auxiliary_head)]
            else:
                heads = [('aux', self.auxiliary_head)]
            for name, head in heads:
                for key, value in head.loss_by_feat(logits[name],
                                                    data_samples).items():
                    losses[f'{name}.{key}'] = value
        return losses

    def disc_input(self,
                   seg_logits: Tensor,
                   size: Optional[Tuple[int, int]] = None) -> Tensor:
        """The map a discriminator sees for ``seg_logits``.

        Args:
            seg_logits: logits ``(B, C, h, w)``.
            size: ``(H, W)`` to upsample to first (bilinear, the head's
                ``align_corners``), ignored unless ``upsample_disc_input``.

        Returns:
            Softmax ``P`` (``adv_input='softmax'``) or ``-P log P``
            (``'entropy'``, over ``log C`` when ``entropy_normalize``),
            shape ``(B, C, H, W)``.
        """
        return discriminator_input(seg_logits,
                                   size if self.upsample_disc_input else None,
                                   self.adv_input, self.entropy_normalize,
                                   self.align_corners)

    # the selection pass's 'domain' (ADAEncoderDecoder.predict_active) sees
    # what this model's discriminator is trained on
    def _domain_map(self, seg_logits: Tensor, size: Tuple[int, int]) -> Tensor:
        return self.disc_input(seg_logits, size)

    def _domain_source_label(self) -> float:
        return 1. if self.source_label > self.target_label else 0.

    def _bce(self, d_out: Tensor, label: float) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            d_out, torch.full_like(d_out, label))

    def _zero_adv_losses(self, ref: Tensor) -> Dict[str, Tensor]:
        zero = ref.new_zeros(())
        return {f'adv.loss_adv{s}': zero for _, _, _, s in self._levels()}

    def _zero_disc_losses(self, ref: Tensor) -> Dict[str, Tensor]:
        zero = ref.new_zeros(())
        out = {}
        for _, _, _, s in self._levels():
            out[f'disc.loss_d_src{s}'] = zero
            out[f'disc.loss_d_tgt{s}'] = zero
        return out

    # ---------------------------------------------------------- losses
    def forward(self,
                inputs: Optional[Tensor] = None,
                data_samples: OptSampleList = None,
                mode: str = 'tensor',
                target_inputs: Optional[Tensor] = None,
                target_data_samples: OptSampleList = None,
                source_maps: Optional[DiscMaps] = None,
                target_maps: Optional[DiscMaps] = None):
        """Dispatch like :meth:`ADAEncoderDecoder.forward`, plus the two
        passes of :meth:`train_step` (run through the DDP wrapper when
        distributed):

        * ``mode='adv_seg'``: :meth:`segmentor_losses`, returning
          ``(losses, maps)``;
        * ``mode='adv_disc'``: :meth:`discriminator_losses` of
          ``source_maps``/``target_maps``.

        Args:
            inputs: ``[B, 3, H, W]`` (source) images (unused by
                ``'adv_disc'``).
            data_samples: their samples.
            mode: ``'tensor'``, ``'predict'``, ``'loss'``, ``'adv_seg'`` or
                ``'adv_disc'``.
            target_inputs: target images (``'loss'``, ``'adv_seg'``).
            target_data_samples: their samples.
            source_maps: ``{level: map}`` detached D inputs of the source
                (``'adv_disc'``).
            target_maps: the same of the target (``'adv_disc'``).

        Returns:
            The mode's output (see above and
            :meth:`ADAEncoderDecoder.forward`).
        """
        if mode == 'adv_seg':
            return self.segmentor_losses(inputs, data_samples, target_inputs,
                                         target_data_samples)
        if mode == 'adv_disc':
            return self.discriminator_losses(source_maps, target_maps)
        return super().forward(inputs, data_samples, mode, target_inputs,
                               target_data_samples)

    def segmentor_losses(
        self,
        inputs: Tensor,
        data_samples: SampleList,
        target_inputs: Optional[Tensor] = None,
        target_data_samples: OptSampleList = None
    ) -> Tuple[Dict[str, Tensor], Optional[Dict[str, DiscMaps]]]:
        """Losses of the segmentor step and the (detached) D inputs.

        Args:
            inputs: source images ``[B, 3, H, W]``.
            data_samples: source samples with ``gt_sem_seg``.
            target_inputs: target images, or ``None``.
            target_data_samples: target samples; ``gt_sem_seg`` (255 where
                unlabelled) is optional.

        Returns:
            tuple: the ``src.*``, ``tgt.*`` and ``adv.*`` losses, and
            ``dict(source={level: map}, target={level: map})`` of detached
            discriminator inputs (``None`` without a target batch).
        """
        src_logits = self.head_logits(self.extract_feat(inputs))
        losses = {
            f'src.{k}': v
            for k, v in self.losses_from_logits(src_logits,
                                                data_samples).items()
        }
        if target_inputs is None:
            zero = inputs.new_zeros(())
            losses.update({f'tgt.{k[4:]}': zero for k in list(losses)})
            losses.update(self._zero_adv_losses(inputs))
            return losses, None

        tgt_logits = self.head_logits(self.extract_feat(target_inputs))
        ignore = getattr(self.decode_head, 'ignore_index', 255)
        if has_labels(target_data_samples, ignore):
            for k, v in self.losses_from_logits(tgt_logits,
                                                target_data_samples).items():
                if 'loss' in k:
                    v = v * self.target_loss_weight
                losses[f'tgt.{k}'] = v
        else:
            zero = inputs.new_zeros(())
            losses.update({
                f'tgt.{k[4:]}': zero
                for k in list(losses) if k.startswith('src.')
            })

        maps: Dict[str, DiscMaps] = dict(source={}, target={})
        for level, disc, weight, suffix in self._levels():
            tgt_map = self.disc_input(tgt_logits[level],
                                      target_inputs.shape[2:])
            losses[f'adv.loss_adv{suffix}'] = weight * self._bce(
                disc(tgt_map), self.source_label)
            maps['target'][level] = tgt_map.detach()
            with torch.no_grad():
                maps['source'][level] = self.disc_input(
                    src_logits[level].detach(), inputs.shape[2:])
        return losses, maps

    def loss(self,
             inputs: Tensor,
             data_samples: SampleList,
             target_inputs: Optional[Tensor] = None,
             target_data_samples: OptSampleList = None) -> Dict[str, Tensor]:
        """The segmentor-step losses (``src.*``, ``tgt.*``, ``adv.*``).

        See :meth:`segmentor_losses`; the discriminator is trained by
        :meth:`train_step` only.

        Args:
            inputs: source images ``[B, 3, H, W]``.
            data_samples: source samples with ``gt_sem_seg``.
            target_inputs: target images, or ``None``.
            target_data_samples: target samples (``gt_sem_seg`` optional).

        Returns:
            dict[str, Tensor]: the losses.
        """
        return self.segmentor_losses(inputs, data_samples, target_inputs,
                                     target_data_samples)[0]

    def discriminator_losses(self, source_maps: DiscMaps,
                             target_maps: DiscMaps) -> Dict[str, Tensor]:
        """Discriminator losses on detached maps.

        Args:
            source_maps: ``{level: map}`` from source outputs.
            target_maps: ``{level: map}`` from target outputs.

        Returns:
            ``disc.loss_d_src{_aux}`` = ``0.5 * BCE(D(m_s), source_label)``
            and ``disc.loss_d_tgt{_aux}`` = ``0.5 * BCE(D(m_t),
            target_label)``.
        """
        losses = {}
        for level, disc, _, suffix in self._levels():
            if level not in source_maps or level not in target_maps:
                raise KeyError(f'discriminator_losses: no {level!r} map in '
                               f'source_maps/target_maps')
            losses[f'disc.loss_d_src{suffix}'] = 0.5 * self._bce(
                disc(source_maps[level].detach()), self.source_label)
            losses[f'disc.loss_d_tgt{suffix}'] = 0.5 * self._bce(
                disc(target_maps[level].detach()), self.target_label)
        return losses

    # ------------------------------------------------------------ training
    @contextmanager
    def _frozen(self, modules: List[nn.Module]):
        """Set ``requires_grad=False`` on ``modules``; restore afterwards."""
        params = [p for m in modules for p in m.parameters()]
        flags = [p.requires_grad for p in params]
        try:
            for p in params:
                p.requires_grad_(False)
            yield
        finally:
            for p, flag in zip(params, flags):
                p.requires_grad_(flag)

    def train_step(self,
                   data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict,
                   forward: Optional[Callable] = None) -> Dict[str, Tensor]:
        """One segmentor step, then one discriminator step.

        Args:
            data: a batch from the dataloader (``multi_stream_collate``).
            optim_wrapper: ``OptimWrapperDict`` with ``'segmentor'`` and
                ``'discriminator'`` wrappers.
            forward: what to call for the forward passes; the DDP wrapper
                passes itself so that gradients are synchronised. Default:
                the model itself.

        Returns:
            dict: log variables of both steps (``loss`` is the segmentor's
            total, ``disc.loss`` the discriminator's).
        """
        if not isinstance(optim_wrapper, OptimWrapperDict):
            raise TypeError(
                f'{type(self).__name__}.train_step needs an OptimWrapperDict '
                f'with keys {OPTIM_WRAPPER_KEYS} (optim_wrapper = dict('
                "constructor='ADAAdversarialOptimWrapperConstructor', "
                'segmentor=dict(...), discriminator=dict(...))), got '
                f'{type(optim_wrapper).__name__}')
        missing = [k for k in OPTIM_WRAPPER_KEYS if k not in optim_wrapper]
        if missing:
            raise KeyError(f'optim_wrapper has no {missing} wrapper(s); it '
                           f'has {list(optim_wrapper.keys())}')
        forward = self if forward is None else forward
        seg_ow = optim_wrapper['segmentor']
        disc_ow = optim_wrapper['discriminator']
        discs = [getattr(self, n) for n in self.discriminator_names()]

        # (a) segmentor step, discriminators frozen
        with self._frozen(discs):
            with seg_ow.optim_context(forward):
                data = self.data_preprocessor(data, True)
                losses, maps = forward(**data, mode='adv_seg')
            parsed, log_vars = self.parse_losses(losses)
            seg_ow.update_params(parsed)

        # (b) discriminator step on detached maps, if every rank has them
        has_maps = parsed.new_tensor(float(maps is not None))
        if forward is not self:
            all_reduce(has_maps, op='min')
        if maps is None or has_maps.item() < 1:
            zeros = self._zero_disc_losses(parsed)
            log_vars.update(zeros)
            log_vars['disc.loss'] = parsed.new_zeros(())
            return log_vars
        with disc_ow.optim_context(forward):
            d_losses = forward(
                mode='adv_disc',
                source_maps=maps['source'],
                target_maps=maps['target'])
        d_parsed, d_log_vars = self.parse_losses(d_losses)
        disc_ow.update_params(d_parsed)
        d_log_vars['disc.loss'] = d_log_vars.pop('loss')
        log_vars.update(d_log_vars)
        return log_vars
