"""ADA-MCU: online active domain adaptation with multi-level contrastive
units (Sec. III of the paper) as an mmseg segmentor."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import is_main_process
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType, OptSampleList, SampleList
from torch import Tensor, nn

from mmseg_ada.active.uncertainty import mcu_uncertainty
from mmseg_ada.utils.failures import log_failure
from ..losses.mcu_seg_loss import masked_cross_entropy, masked_entropy
from ..utils.mcu_adaptive_sampler import HIGH, LOW, MEDIUM, PHASE_DONE
from ..utils.mcu_anchors import class_argmax

PSEUDO_LABELS = ('hard', 'soft')
GROUP_NAMES = {'high': HIGH, 'medium': MEDIUM, 'low': LOW}

_IMAGE_UNITS = ('intra_p2p', 'intra_c2c', 'cross_image_p2p', 'cross_image_c2c')
#: The ablations of Tables V and VI as overrides of the model config (merge
#: them into ``model``, e.g. ``model = dict(**MCU_ABLATIONS['al_w_p2p'])``
#: in a config inheriting the full model).  ``full`` is the default model.
MCU_ABLATIONS = dict(
    # "AL (w/o AS)": G_h labels only, all of G_l pseudo-labelled, no MCU
    al_wo_as=dict(
        sampler=dict(pseudo='all', medium_phase=False), contrastive=None),
    # "AL (w AS)": adaptive sampling, no contrastive unit
    al_w_as=dict(contrastive=None),
    # "AL (w MCU_i)": image-level units (intra + cross-image), no DCCM
    al_w_mcu_i=dict(
        contrastive=dict(type='MCUContrastiveLoss', units=_IMAGE_UNITS),
        dccm=None),
    # "AL (w MCU_d)" = "AL (w p2p+c2c)": all three levels, no DCCM
    al_w_mcu_d=dict(dccm=None),
    # "AL (w p2p)": p2p at all three levels, no c2c, no DCCM
    al_w_p2p=dict(
        contrastive=dict(
            type='MCUContrastiveLoss',
            units=('intra_p2p', 'cross_image_p2p', 'cross_domain_p2p')),
        dccm=None),
    full=dict(),
)


def _stack_padded(maps: Sequence[Tensor], size: Tuple[int, int],
                  fill: int) -> Tensor:
    """Stack ``[h, w]`` maps into ``[B, H, W]``, padding bottom/right."""
    out = maps[0].new_full((len(maps), *size), fill)
    for i, m in enumerate(maps):
        m = m.reshape(m.shape[-2:])
        out[i, :m.shape[0], :m.shape[1]] = m
    return out


@MODELS.register_module()
class MCUEncoderDecoder(EncoderDecoder):
    """ADA-MCU segmentor: buys target pixels online while it trains.

    Every training iteration takes source images with labels and target
    images **without** labels (``loss(inputs, data_samples, target_inputs,
    target_data_samples)``; the paper: 2 + 2).  Target labels come only
    from :attr:`acquisition`, the engine's online label store:

    1. Forward both domains; logits of the main (decode) and auxiliary
       heads are bilinearly resized to the input size.
    2. Uncertainty ``S`` of every pixel (Eq. 1-3: normalised entropy +
       ``gamma`` x KL(main || auxiliary)).
    3. :class:`~mmseg_ada.models.utils.MCUAdaptiveSampler` (Algorithm 1)
       decides which target crop pixels to request; while the budget is not
       spent the requests go to ``acquisition.buy`` on **every rank, every
       iteration** (possibly empty: the store's purchase is collective),
       afterwards only ``acquisition.labels`` is read.  Crop pixels map to
       original-image pixels through each target sample's
       ``gt_pixel_index`` (:class:`~mmseg_ada.datasets.transforms.
       AddPixelIndex`), -1 = padding; the request masks have the shape of
       that map (the crop before batch padding) and live on its device.
    4. Pseudo-labels on low-uncertainty pixels, half as many per image as
       it has labelled ones, once the budget is spent (Algorithm 1, line
       12; the sampler's ``pseudo_start``/``pseudo_ratio``), as argmax
       targets (``pseudo_label='hard'``) or Eq. 5's softmax
       (``'soft'``).
    5. DCCM update (Eq. 7-8, Algorithm 1 line 14) from the labelled pixels
       (``dccm_pixels``: source ground truth and bought target labels).
    6. Losses, all logged: ``loss_src`` (CE on every labelled source pixel,
       Eq. 6), ``loss_tgt`` (CE on the bought target pixels, Eq. 4),
       ``loss_pseudo`` (CE on the pseudo-labelled pixels, Eq. 5),
       ``loss_aux_src``/``loss_aux_tgt`` (the auxiliary head on the same
       ground truth, weighted by its ``loss_decode.loss_weight``: not in
       the paper's Eq. 6, but without it the auxiliary head of Eq. 3 would
       stay at its random initialisation and the KL would be noise; the
       DeepLabV2 code bases it follows train it so), and
       ``loss_con_<level>_<kind>`` (:class:`~mmseg_ada.models.losses.
       MCUContrastiveLoss`, Eq. 9-11); ``L = L_seg + L_con``.  Also logged:
       ``acq_bought_frac`` (``spent / total``), ``acq_phase``,
       ``mcu_pi_high``, ``mcu_pi_low``, ``mcu_labelled`` and ``mcu_pseudo``
       (pixels of the batch), ``con_anchors``.

    Target anchors (Sec. III-C.1) are the bought pixels of the groups
    ``target_anchor_groups`` (default the high group, as the text says; add
    ``'medium'`` for Fig. 3's "we also consider G_m") that are mispredicted.
    Bought pixels count in ``loss_tgt`` whichever group they fall in now
    (they were bought from ``G_h``/``G_m``).

    Inference (``predict``/``tensor``) is exactly :class:`EncoderDecoder`'s.

    Visualisation: every ``vis_interval`` iterations (0: never) rank 0
    keeps the arrays of that iteration's acquisition in
    :attr:`acquisition_record` (``vis_max_images`` target crops: images,
    groups, bought and pseudo-labels; see :meth:`_record_acquisition`).  The
    model draws nothing: :class:`~mmseg_ada.engine.hooks.
    MCUAcquisitionHook` (registered by the active loop) writes
    ``mcu_acquisition_<iter>.png`` from it (:mod:`mmseg_ada.visualization.
    mcu_acquisition`) to ``vis_dir`` (default: ``<the current Visualizer's
    save dir>/mcu_acquisition``).  An error is logged and never stops
    training.

    Args:
        sampler (dict): Config of :class:`~mmseg_ada.models.utils.
            MCUAdaptiveSampler` (``epoch_length`` is required by its default
            per-epoch decay).
        contrastive (dict, optional): Config of
            :class:`~mmseg_ada.models.losses.MCUContrastiveLoss`
            (``num_classes`` filled in); ``None`` disables the units.
        dccm (dict, optional): Config of :class:`~mmseg_ada.models.losses.
            DCCM` (``num_classes`` filled in); ``None``: plain InfoNCE.
        gamma (float): Weight of the KL term of Eq. 1. Default: 0.5.
        seg_reduction (str): ``'mean'`` (default) or ``'sum'`` per term of
            Eq. 6; see :func:`~mmseg_ada.models.losses.masked_cross_entropy`.
        pseudo_label (str): ``'hard'`` (argmax, detached; default) or
            ``'soft'`` (Eq. 5 literally, ``y~ = softmax(p)`` not detached:
            entropy minimisation).
        target_anchor_groups (Sequence[str]): Groups whose bought pixels can
            be target anchors. Default: ``('high',)``.
        dccm_pixels (Sequence[str]): Domains whose labelled pixels update
            the DCCM. Default: ``('source', 'target')``.
        projector (dict, optional): ``dict(channels=D)`` adds a 1x1 conv -
            ReLU - 1x1 conv projection of the head features for the
            contrastive units; ``None`` (default) contrasts the head
            features (the map the classifier reads) directly.
        vis_interval (int): Iterations between figures (0: never).
        vis_dir (str, optional): Where figures go.
        vis_max_images (int): Target crops per figure. Default: 2.
        **kwargs: Arguments of :class:`EncoderDecoder`.
    """

    def __init__(self,
                 *args,
                 sampler: OptConfigType = None,
                 contrastive: OptConfigType = dict(type='MCUContrastiveLoss'),
                 dccm: OptConfigType = dict(type='DCCM'),
                 gamma: float = 0.5,
                 seg_reduction: str = 'mean',
                 pseudo_label: str = 'hard',
                 target_anchor_groups: Sequence[str] = ('high', ),
                 dccm_pixels: Sequence[str] = ('source', 'target'),
                 projector: OptConfigType = None,
                 vis_interval: int = 0,
                 vis_dir: Optional[str] = None,
                 vis_max_images: int = 2,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        name = type(self).__name__
        head = self.decode_head
        num_classes = head.num_classes
        if pseudo_label not in PSEUDO_LABELS:
            raise ValueError(f'{name}: pseudo_label must be one of '
                             f'{PSEUDO_LABELS}, got {pseudo_label!r}')
        if seg_reduction not in ('mean', 'sum'):
            raise ValueError(f"{name}: seg_reduction must be 'mean' or "
                             f"'sum', got {seg_reduction!r}")
        bad = [g for g in target_anchor_groups if g not in GROUP_NAMES]
        if bad:
            raise ValueError(f'{name}: target_anchor_groups {bad} not in '
                             f'{tuple(GROUP_NAMES)}')
        bad = [d for d in dccm_pixels if d not in ('source', 'target')]
        if bad or not dccm_pixels:
            raise ValueError(f'{name}: dccm_pixels must be a non-empty '
                             "subset of ('source', 'target'), got "
                             f'{tuple(dccm_pixels)!r}')
        if float(gamma) < 0:
            raise ValueError(f'{name}: gamma must be >= 0, got {gamma}')
        if float(gamma) > 0 and not self.with_auxiliary_head:
            raise ValueError(
                f'{name}: gamma > 0 (the KL of Eq. 1) needs an '
                'auxiliary_head (DeepLabV2: the layer3 classifier; '
                'DeepLabV3+: the FCN head); set gamma=0 for entropy only')
        if self.with_auxiliary_head and isinstance(self.auxiliary_head,
                                                   nn.ModuleList):
            raise ValueError(f'{name}: exactly one auxiliary head is '
                             'supported (the p_hat of Eq. 3)')
        self.gamma = float(gamma)
        self.seg_reduction = seg_reduction
        self.pseudo_label = pseudo_label
        self.target_anchor_groups = tuple(GROUP_NAMES[g]
                                          for g in target_anchor_groups)
        self.dccm_pixels = tuple(dccm_pixels)
        self.ignore_index = int(getattr(head, 'ignore_index', 255))
        cfg = dict(type='MCUAdaptiveSampler')
        cfg.update(sampler or {})
        self.sampler = MODELS.build(cfg)
        self.contrastive = None
        if contrastive is not None:
            if not getattr(head, 'with_features', False):
                raise ValueError(
                    f'{name}: the contrastive units need a decode head with '
                    f'a feature map (with_features=True), got '
                    f'{type(head).__name__}: use DeepLabV2Head('
                    'bottleneck=True) or DepthwiseSeparableASPPFeatHead, or '
                    'contrastive=None')
            self.contrastive = self._build_class_module(
                contrastive, num_classes)
        self.dccm = None
        if dccm is not None and self.contrastive is not None:
            self.dccm = self._build_class_module(dccm, num_classes)
        self.projector = None
        if projector is not None and self.contrastive is not None:
            c = head.feat_channels
            self.projector = nn.Sequential(
                nn.Conv2d(c, c, 1), nn.ReLU(inplace=True),
                nn.Conv2d(c, int(projector['channels']), 1))
        self.vis_interval = int(vis_interval)
        self.vis_dir = vis_dir
        self.vis_max_images = int(vis_max_images)
        #: the arrays of the latest recorded acquisition (rank 0, every
        #: ``vis_interval`` iterations), for the figure hook
        self.acquisition_record: Optional[Dict] = None
        #: The engine's online label store (see the module docstring).
        self.acquisition = None

    # ------------------------------------------------------------ helpers
    def _require_acquisition(self):
        acq = self.acquisition
        if acq is None:
            raise RuntimeError(
                f'{type(self).__name__}.acquisition is None: the engine must '
                'set model.acquisition (the online label store with total, '
                'spent, labels() and buy()) before training')
        return acq

    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor',
                target_inputs: Optional[Tensor] = None,
                target_data_samples: OptSampleList = None):
        """Dispatch like :meth:`BaseSegmentor.forward`; ``loss`` also takes
        the target part of the batch.

        Args:
            inputs: ``[B, 3, H, W]`` (source) images.
            data_samples: their samples.
            mode: ``'tensor'``, ``'predict'`` or ``'loss'``.
            target_inputs: target images (``'loss'`` only).
            target_data_samples: their samples, with ``gt_pixel_index``
                (``'loss'`` only).

        Returns:
            Tensor | list[SegDataSample] | dict[str, Tensor]: as
            :meth:`BaseSegmentor.forward`; :meth:`loss`'s dict.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples, target_inputs,
                             target_data_samples)
        return super().forward(inputs, data_samples, mode)

    def _forward_train(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Logits (main, auxiliary) at input size and the feature map."""
        x = self.extract_feat(inputs)
        head = self.decode_head
        out = {}
        if self.contrastive is not None:
            feat = head.forward_feature(x)
            logits = head.cls_seg(feat)
            out['feat'] = feat if self.projector is None else \
                self.projector(feat)
        else:
            logits = head.forward(x)
        size = inputs.shape[2:]
        out['logits'] = resize(
            logits,
            size=size,
            mode='bilinear',
            align_corners=head.align_corners)
        if self.with_auxiliary_head:
            aux = self.auxiliary_head.forward(x)
            out['aux'] = resize(
                aux,
                size=size,
                mode='bilinear',
                align_corners=self.auxiliary_head.align_corners)
        return out

    def _pixel_index(self, samples: SampleList, size: Tuple[int,
                                                            int]) -> Tensor:
        maps = []
        for i, s in enumerate(samples):
            if 'gt_pixel_index' not in s:
                raise KeyError(
                    f'target data sample {i} '
                    f"({s.metainfo.get('img_path', '?')}) has no "
                    'gt_pixel_index: put AddPixelIndex after '
                    'LoadImageFromFile and PackPixelIndex at the end of the '
                    'target pipeline')
            maps.append(s.gt_pixel_index.data)
        return _stack_padded(maps, size, -1)

    def _store_labels(self, labels: Sequence[Tensor], index: Tensor,
                      samples: SampleList, what: str) -> Tensor:
        if len(labels) != len(samples):
            raise ValueError(f'acquisition.{what} returned {len(labels)} '
                             f'label maps for {len(samples)} samples')
        out = []
        for i, (lab, s) in enumerate(zip(labels, samples)):
            lab = torch.as_tensor(lab).to(index.device)
            if tuple(lab.shape[-2:]) != tuple(s.gt_pixel_index.shape):
                raise ValueError(
                    f'acquisition.{what}: label map {i} has shape '
                    f'{tuple(lab.shape)}, the sample\'s gt_pixel_index '
                    f'{tuple(s.gt_pixel_index.shape)}')
            out.append(lab.long())
        labels = _stack_padded(out, tuple(index.shape[1:]), self.ignore_index)
        # a label on a padded pixel would be a store bug; never train on it
        return labels.masked_fill(index < 0, self.ignore_index)

    @staticmethod
    def _keys(samples: SampleList, prefix: str) -> List[str]:
        return [
            s.metainfo.get('img_path', f'{prefix}{i}')
            for i, s in enumerate(samples)
        ]

    def _build_class_module(self, cfg: dict, num_classes: int) -> nn.Module:
        """Build ``cfg`` with ``num_classes`` and the head's
        ``ignore_index`` unless it sets them."""
        cfg = dict(cfg)
        cfg.setdefault('num_classes', num_classes)
        cfg.setdefault('ignore_index', self.ignore_index)
        return MODELS.build(cfg)

    def _ce(self,
            logits: Tensor,
            labels: Tensor,
            log_probs: bool = False) -> Tensor:
        return masked_cross_entropy(logits, labels, self.ignore_index,
                                    self.seg_reduction, log_probs)

    def _aux_weight(self) -> float:
        loss = getattr(self.auxiliary_head, 'loss_decode', None)
        return float(getattr(loss, 'loss_weight', 1.0))

    # ---------------------------------------------------------------- loss
    def loss(self,
             inputs: Tensor,
             data_samples: SampleList,
             target_inputs: Optional[Tensor] = None,
             target_data_samples: OptSampleList = None) -> Dict[str, Tensor]:
        """Losses of one ADA-MCU iteration (buys target pixels on the way).

        Args:
            inputs (Tensor): Source images ``[Bs, 3, H, W]``.
            data_samples (list[SegDataSample]): Source samples with
                ``gt_sem_seg``.
            target_inputs (Tensor): Target images ``[Bt, 3, H, W]``.
            target_data_samples (list[SegDataSample]): Target samples with
                ``gt_pixel_index`` (and no labels: any ``gt_sem_seg`` they
                carry is never read).

        Returns:
            dict[str, Tensor]: Losses (``loss_*``) and logged statistics.
        """
        name = type(self).__name__
        if target_inputs is None or not target_data_samples:
            raise ValueError(f'{name}.loss needs target_inputs and '
                             'target_data_samples (source + target images '
                             'every iteration)')
        acq = self._require_acquisition()
        ign = self.ignore_index
        src = self._forward_train(inputs)
        tgt = self._forward_train(target_inputs)
        for i, s in enumerate(data_samples):
            if 'gt_sem_seg' not in s:
                raise KeyError(f'source data sample {i} '
                               f"({s.metainfo.get('img_path', '?')}) has no "
                               'gt_sem_seg')
        src_gt = torch.stack([
            s.gt_sem_seg.data.reshape(inputs.shape[2:]) for s in data_samples
        ]).long()

        with torch.no_grad():
            unc = mcu_uncertainty(
                tgt['logits'].detach(),
                tgt['aux'].detach() if 'aux' in tgt else None,
                self.gamma if 'aux' in tgt else 0.,
                score_only=True)['score']
            # class_argmax == max(1).indices == argmax(1) (first maximum),
            # faster on the CPU; the source prediction feeds the DCCM and
            # anchors only
            src_pred = class_argmax(src['logits'].detach()) \
                if self.contrastive is not None else None
            tgt_pred = class_argmax(tgt['logits'].detach())
            index = self._pixel_index(target_data_samples,
                                      tuple(target_inputs.shape[2:]))
            valid = index >= 0
            keys = self._keys(target_data_samples, 'target')
            before = self._store_labels(
                acq.labels(target_data_samples), index, target_data_samples,
                'labels')
            plan = self.sampler.plan(unc, valid, before != ign, int(acq.spent),
                                     int(acq.total), keys)
            if plan['phase'] != PHASE_DONE:
                requests = [
                    r[:s.gt_pixel_index.shape[0], :s.gt_pixel_index.shape[1]]
                    for r, s in zip(plan['requests'], target_data_samples)
                ]
                bought = self._store_labels(
                    acq.buy(target_data_samples, requests), index,
                    target_data_samples, 'buy')
            else:
                bought = before
            labelled = bought != ign
            pseudo_mask = torch.stack(
                self.sampler.pseudo_masks(plan, valid, labelled, keys))
            pseudo = torch.where(pseudo_mask, tgt_pred,
                                 torch.full_like(tgt_pred, ign))
            if self.dccm is not None:
                conf = 0
                if 'source' in self.dccm_pixels:
                    conf = conf + self.dccm.confusion(src_gt, src_pred)
                if 'target' in self.dccm_pixels:
                    conf = conf + self.dccm.confusion(bought, tgt_pred)
                self.dccm.update_confusion(conf)

        # one log-softmax of the target logits for both target terms
        tgt_logp = F.log_softmax(tgt['logits'], dim=1)
        losses = dict(
            loss_src=self._ce(src['logits'], src_gt),
            loss_tgt=self._ce(tgt_logp, bought, log_probs=True))
        if self.pseudo_label == 'hard':
            losses['loss_pseudo'] = self._ce(tgt_logp, pseudo, log_probs=True)
        else:
            losses['loss_pseudo'] = masked_entropy(
                tgt_logp, pseudo_mask, self.seg_reduction, log_probs=True)
        if self.with_auxiliary_head:
            w = self._aux_weight()
            losses['loss_aux_src'] = w * self._ce(src['aux'], src_gt)
            losses['loss_aux_tgt'] = w * self._ce(tgt['aux'], bought)
        if self.contrastive is not None:
            views = self._views(src, src_gt, src_pred, data_samples, tgt,
                                bought, pseudo, tgt_pred, plan,
                                target_data_samples)
            losses.update(
                self.contrastive(views, self.dccm, plan['iteration']))
        total = max(int(acq.total), 1)
        stat = inputs.new_tensor
        losses.update(
            acq_bought_frac=stat(float(acq.spent) / total),
            acq_phase=stat(float(plan['phase'])),
            mcu_pi_high=stat(plan['pi_high']),
            mcu_pi_low=stat(plan['pi_low']),
            mcu_labelled=stat(float(labelled.sum())),
            mcu_pseudo=stat(float(pseudo_mask.sum())))
        if self.vis_interval > 0 and \
                plan['iteration'] % self.vis_interval == 0:
            self._record_acquisition(target_inputs, bought, pseudo, plan,
                                     target_data_samples)
        return losses

    def _source_groups(self, out: Dict[str, Tensor], i: int, gt: Tensor,
                       plan: Dict):
        """Groups of source image ``i``, computed only at the pixels asked
        for (the contrastive units read a few thousand of them)."""
        logits = out['logits'][i].detach()
        aux = out['aux'][i].detach() if 'aux' in out else None

        def groups(flat_index: Tensor) -> Tensor:
            c = logits.shape[0]
            # index_select: the same gather as [:, flat_index], ~3x faster
            main = logits.reshape(c, -1).index_select(1,
                                                      flat_index).unsqueeze(0)
            side = None if aux is None else \
                aux.reshape(c, -1).index_select(1, flat_index).unsqueeze(0)
            score = mcu_uncertainty(
                main,
                side,
                self.gamma if side is not None else 0.,
                score_only=True)['score'][0]
            valid = gt.reshape(-1)[flat_index] != self.ignore_index
            return self.sampler.group(score, valid, plan['pi_high'],
                                      plan['pi_low'])

        return groups

    def _views(self, src, src_gt, src_pred, src_samples, tgt, bought, pseudo,
               tgt_pred, plan, tgt_samples):
        """The per-image inputs of :class:`MCUContrastiveLoss`."""
        ign = self.ignore_index
        align = self.decode_head.align_corners
        views = []
        keys = self._keys(src_samples, 'source')
        for i in range(len(src_gt)):
            views.append(
                dict(
                    feat=src['feat'][i],
                    label=src_gt[i],
                    pred=src_pred[i],
                    anchor_eligible=src_gt[i] != ign,
                    groups=self._source_groups(src, i, src_gt[i], plan),
                    centre_label=src_gt[i],
                    domain='source',
                    key=keys[i],
                    align_corners=align))
        keys = self._keys(tgt_samples, 'target')
        for i in range(len(bought)):
            has = bought[i] != ign
            g = plan['groups'][i]
            if self.target_anchor_groups:
                group_ok = g == self.target_anchor_groups[0]
                for code in self.target_anchor_groups[1:]:
                    group_ok = group_ok | (g == code)
                eligible = has & group_ok
            else:
                eligible = torch.zeros_like(has)
            views.append(
                dict(
                    feat=tgt['feat'][i],
                    label=torch.where(has, bought[i], pseudo[i]),
                    pred=tgt_pred[i],
                    anchor_eligible=eligible,
                    groups=g,
                    centre_label=tgt_pred[i].masked_fill(g < 0, ign),
                    domain='target',
                    key=keys[i],
                    align_corners=align))
        return views

    # ------------------------------------------------------- visualisation
    def _record_acquisition(self, target_inputs, bought, pseudo, plan,
                            samples) -> None:
        """Keep the arrays of this iteration's acquisition (rank 0) in
        :attr:`acquisition_record`; never raises.

        The record holds ``iteration``, ``images`` (RGB uint8 ``[h, w, 3]``
        crops, de-normalised), ``bought``, ``pseudo`` and ``groups``
        (``[h, w]`` each, per crop), ``num_classes``, ``ignore_index`` and
        ``vis_dir``.
        """
        if not is_main_process():
            return
        try:
            n = min(self.vis_max_images, len(target_inputs))
            pre = self.data_preprocessor
            mean = getattr(pre, 'mean', None)
            std = getattr(pre, 'std', None)
            images = []
            for i in range(n):
                img = target_inputs[i].detach().float()
                if mean is not None and std is not None:
                    img = img * std.to(img) + mean.to(img)
                # RGB (the preprocessor converted from BGR)
                img = img.clamp(0, 255).byte().permute(1, 2, 0).cpu().numpy()
                h, w = samples[i].gt_pixel_index.shape
                images.append(img[:h, :w])
            crop = [(im.shape[0], im.shape[1]) for im in images]
            maps = dict(bought=bought, pseudo=pseudo, groups=plan['groups'])
            self.acquisition_record = dict(
                iteration=int(plan['iteration']),
                images=images,
                **{
                    name: [
                        m[i, :h, :w].cpu().numpy()
                        for i, (h, w) in enumerate(crop)
                    ]
                    for name, m in maps.items()
                },
                num_classes=self.decode_head.num_classes,
                ignore_index=self.ignore_index,
                vis_dir=self.vis_dir)
        except Exception as exc:  # a figure must never stop training
            log_failure('MCUEncoderDecoder', 'acquisition figure', exc)
