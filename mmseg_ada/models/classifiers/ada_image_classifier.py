"""Image classifier for active domain adaptation (LADA, SDM, CLUE, SAGE)."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmseg.registry import MODELS
from mmseg.utils import add_prefix
from torch import Tensor

from mmseg_ada.active.requirements import requirement_names, unserved_hint
from mmseg_ada.structures import ClsDataSample, StreamOutputs
from ..regularizers import BaseClsRegularizer

__all__ = ['ADAImageClassifier']

SampleList = List[ClsDataSample]


def _regularizers_serving(name: str) -> List[str]:
    """Registered regularisers that serve ``name`` (for error messages)."""
    out = []
    for key, cls in sorted(MODELS.module_dict.items()):
        if not (isinstance(cls, type) and issubclass(cls, BaseClsRegularizer)):
            continue
        if name in cls.active_outputs or (name == 'domain'
                                          and cls.has_domain_discriminator):
            out.append(key)
    return out


def label_free_copy(sample: ClsDataSample) -> ClsDataSample:
    """A copy of ``sample`` without any ``gt_*`` data field.

    Meta information and prediction fields are kept, so the unlabelled
    stream still knows ``img_path`` / ``sample_idx`` but cannot see labels.

    Args:
        sample: the data sample.

    Returns:
        ClsDataSample: a new sample sharing the kept values.
    """
    clean = ClsDataSample(metainfo=sample.metainfo)
    for key, value in sample.items():
        if not key.startswith('gt_'):
            clean.set_field(value, key)
    return clean


@MODELS.register_module()
class ADAImageClassifier(BaseModel):
    """Backbone -> global average pooling -> head, with several streams.

    The ResNet-50 classifier of the classification ADA literature (LADA,
    SDM, CLUE: torchvision ResNet-50, ``Linear(2048, 256) + BN1d``,
    ``Linear(256, C)``; mmseg's ``ResNet(depth=50, style='pytorch')`` has
    exactly torchvision's parameter names, so ImageNet weights load into it
    directly).  The forward modes are those of mmpretrain's
    ``ImageClassifier``: ``'tensor'`` (logits), ``'predict'`` (data samples
    with ``pred_score``/``pred_label``) and ``'loss'``.

    Training steps receive up to three streams as keyword arguments (from
    :class:`~mmseg_ada.models.data_preprocessors.
    MultiStreamClsDataPreProcessor`):

    * ``inputs`` / ``data_samples``: labelled source S (always);
    * ``target_inputs`` / ``target_data_samples``: labelled target T_l
      (absent before the first query);
    * ``unlabeled_inputs`` / ``unlabeled_data_samples``: unlabelled target
      T_u, forwarded only when a regulariser needs it.  Its labels are
      never used: every ``gt_*`` field is dropped before anything sees the
      samples.

    Supervised solvers (``solver``):

    * ``'ft'``: fine-tuning on ``S u T_l``: one forward pass over the
      concatenation of the source and labelled-target batches and one mean
      cross-entropy over all of it (SAGE Eq. 7, Omega_{S u T}; MME's code
      concatenates the two batches the same way; LADA's ``ft_joint``
      solver draws the batches from one joint loader).  Loss key
      ``sup.loss``.
    * ``'st'``: ``S + T``: separate forward passes and the sum of the mean
      source CE and the mean labelled-target CE (SAGE Eq. 8,
      Omega_{S+T}; LADA's and CLUE's ``ft``/``mme``/``dann`` solvers:
      ``CE(net(x_s), y_s) * src_wt + CE(net(x_t), y_t)``).  Keys
      ``src.loss`` and ``tgt.loss``, weighted by ``source_loss_weight`` /
      ``target_loss_weight``.

    With equal batch sizes ``'ft'`` is half of ``'st'``; they differ in the
    batch-norm statistics (one joint batch vs. one batch per domain) and
    when the batch sizes differ.

    Regularisers (``regularizers=[dict(type='MMERegularizer'), ...]``, see
    :class:`~mmseg_ada.models.regularizers.BaseClsRegularizer`) receive the
    per-stream features, embeddings and logits and the head, and return
    loss dicts that are added to the solver's.

    Args:
        backbone (dict): Backbone config (any mmseg backbone returning
            feature maps, e.g. ``ResNet(depth=50, out_indices=(3, ))``).
        head (dict): Head config (``BottleneckClsHead``,
            ``CosineBottleneckClsHead``, or another head with mmpretrain's
            API plus ``classify(embedding)``).
        solver (str): ``'ft'`` or ``'st'``. Defaults to ``'st'`` (what the
            reference codes' solvers compute).
        regularizers (list[dict], optional): Regulariser configs.
        source_loss_weight (float): ``'st'`` only. Defaults to 1.
        target_loss_weight (float): ``'st'`` only. Defaults to 1.
        in_index (int): Which backbone output is pooled. Defaults to -1.
        data_preprocessor (dict, optional): Defaults to a
            ``MultiStreamClsDataPreProcessor`` without normalisation.
        train_cfg (dict, optional): Unused; kept for config symmetry.
        test_cfg (dict, optional): Unused; kept for config symmetry.
        init_cfg (dict, optional): Initialisation config.
    """

    SOLVERS = ('ft', 'st')
    #: ``active_constants`` served: every model constant of
    #: :data:`mmseg_ada.active.requirements.REQUIREMENTS`.
    ACTIVE_CONSTANTS = requirement_names('constant', 'image')
    #: the config keys that decide what :meth:`predict_active` serves
    #: (named by the selector's refusal)
    ACTIVE_CONFIG_KEYS = 'model.regularizers'

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 solver: str = 'st',
                 regularizers: Optional[Sequence[dict]] = None,
                 source_loss_weight: float = 1.0,
                 target_loss_weight: float = 1.0,
                 in_index: int = -1,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='MultiStreamClsDataPreProcessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if solver not in self.SOLVERS:
            raise ValueError(f'solver must be one of {self.SOLVERS}, got '
                             f'{solver!r}')
        if solver == 'ft' and (source_loss_weight != 1
                               or target_loss_weight != 1):
            raise ValueError(
                "solver 'ft' computes one CE over the joint batch; "
                'source_loss_weight / target_loss_weight apply to '
                "solver 'st' only")
        self.solver = solver
        self.source_loss_weight = float(source_loss_weight)
        self.target_loss_weight = float(target_loss_weight)
        self.in_index = int(in_index)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        for name in ('pre_logits', 'classify', 'loss_by_logits',
                     'predict_by_logits'):
            if not callable(getattr(self.head, name, None)):
                raise TypeError(
                    f'head {type(self.head).__name__} lacks {name}(); use '
                    'BottleneckClsHead or CosineBottleneckClsHead')
        self.regularizers = nn.ModuleList()
        for cfg in regularizers or []:
            reg = cfg if isinstance(cfg, nn.Module) else MODELS.build(cfg)
            if not isinstance(reg, BaseClsRegularizer):
                raise TypeError(f'{type(reg).__name__} is not a '
                                'BaseClsRegularizer')
            self.regularizers.append(reg)

    # ---------------------------------------------------------- features
    def _pool(self, outs: Union[Tensor, Sequence[Tensor]]) -> Tuple[Tensor]:
        x = outs[self.in_index] if isinstance(outs, (tuple, list)) else outs
        if x.dim() == 4:
            x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        elif x.dim() != 2:
            raise ValueError('backbone output must be [N, C, H, W] or '
                             f'[N, C], got {tuple(x.shape)}')
        return (x, )

    def extract_feat(self,
                     inputs: Tensor,
                     stage: str = 'neck') -> Union[Tuple[Tensor], Tensor]:
        """Features of ``inputs`` at ``stage`` (as mmpretrain's).

        Args:
            inputs (Tensor): ``[N, 3, H, W]`` images.
            stage (str): ``'backbone'`` (the backbone's tuple of maps),
                ``'neck'`` (a 1-tuple with the pooled ``[N, D]`` feature)
                or ``'pre_logits'`` (the ``[N, 256]`` embedding).

        Returns:
            tuple[Tensor] | Tensor: The features.
        """
        if stage not in ('backbone', 'neck', 'pre_logits'):
            raise ValueError("stage must be 'backbone', 'neck' or "
                             f"'pre_logits', got {stage!r}")
        outs = self.backbone(inputs)
        if stage == 'backbone':
            return outs
        feats = self._pool(outs)
        if stage == 'neck':
            return feats
        return self.head.pre_logits(feats)

    def _stream(self, inputs: Tensor,
                data_samples: SampleList) -> StreamOutputs:
        feats = self.extract_feat(inputs)[0]
        emb = self.head.pre_logits((feats, ))
        return StreamOutputs(feats, emb, self.head.classify(emb),
                             list(data_samples))

    # ----------------------------------------------------------- forward
    def forward(self,
                inputs: Tensor,
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor',
                target_inputs: Optional[Tensor] = None,
                target_data_samples: Optional[SampleList] = None,
                unlabeled_inputs: Optional[Tensor] = None,
                unlabeled_data_samples: Optional[SampleList] = None):
        """``'tensor'``, ``'predict'`` or ``'loss'`` (mmpretrain's modes).

        Args:
            inputs (Tensor): ``[N, 3, H, W]`` (labelled source in training).
            data_samples (list[ClsDataSample], optional): Their samples.
            mode (str): ``'tensor'``: ``[N, C]`` logits; ``'predict'``:
                data samples with ``pred_score``/``pred_label``;
                ``'loss'``: the loss dict of :meth:`loss`.
            target_inputs, target_data_samples: Labelled target stream.
            unlabeled_inputs, unlabeled_data_samples: Unlabelled target
                stream (labels ignored).

        Returns:
            Tensor | list[ClsDataSample] | dict[str, Tensor]
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples, target_inputs,
                             target_data_samples, unlabeled_inputs,
                             unlabeled_data_samples)
        extra = [
            n for n, v in (('target_inputs', target_inputs),
                           ('unlabeled_inputs', unlabeled_inputs))
            if v is not None
        ]
        if extra:
            raise ValueError(f'mode {mode!r} takes one stream, got '
                             f'{extra}; use a plain (single-stream) batch')
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def predict(
            self,
            inputs: Tensor,
            data_samples: Optional[SampleList] = None) -> List[ClsDataSample]:
        """Data samples with ``pred_score`` (softmax) and ``pred_label``.

        Args:
            inputs: ``[N, 3, H, W]`` preprocessed images.
            data_samples: the batch's samples, filled in (``None``: new
                ones).

        Returns:
            list[ClsDataSample]: one per image.
        """
        return self.head.predict(self.extract_feat(inputs), data_samples)

    # -------------------------------------------------------------- loss
    @staticmethod
    def _present(inputs: Optional[Tensor]) -> bool:
        return inputs is not None and len(inputs) > 0

    def _needs(self, stream: str) -> bool:
        return any(stream in r.required_streams for r in self.regularizers)

    def _supervised(
            self, streams: Dict[str, StreamOutputs], inputs: Tensor,
            data_samples: SampleList, target_inputs: Optional[Tensor],
            target_data_samples: Optional[SampleList]) -> Dict[str, Tensor]:
        has_target = self._present(target_inputs)
        if has_target and target_data_samples is None:
            raise ValueError('target_inputs without target_data_samples')
        if self.solver == 'ft':
            if has_target:
                n = len(inputs)
                joint = self._stream(
                    torch.cat([inputs, target_inputs]),
                    list(data_samples) + list(target_data_samples))
                streams['source'] = StreamOutputs(joint.feats[:n],
                                                  joint.embedding[:n],
                                                  joint.logits[:n],
                                                  list(data_samples))
                streams['target'] = StreamOutputs(joint.feats[n:],
                                                  joint.embedding[n:],
                                                  joint.logits[n:],
                                                  list(target_data_samples))
                return add_prefix(
                    self.head.loss_by_logits(joint.logits, joint.data_samples),
                    'sup')
            streams['source'] = self._stream(inputs, data_samples)
            return add_prefix(
                self.head.loss_by_logits(streams['source'].logits,
                                         data_samples), 'sup')
        # 'st': one forward pass and one mean CE per stream
        streams['source'] = self._stream(inputs, data_samples)
        losses = self._weighted(
            self.head.loss_by_logits(streams['source'].logits, data_samples),
            self.source_loss_weight, 'src')
        if has_target:
            streams['target'] = self._stream(target_inputs,
                                             target_data_samples)
            losses.update(
                self._weighted(
                    self.head.loss_by_logits(streams['target'].logits,
                                             target_data_samples),
                    self.target_loss_weight, 'tgt'))
        return losses

    @staticmethod
    def _weighted(losses: Dict[str, Tensor], weight: float,
                  prefix: str) -> Dict[str, Tensor]:
        return {
            f'{prefix}.{k}': v * weight if 'loss' in k else v
            for k, v in losses.items()
        }

    def loss(
        self,
        inputs: Tensor,
        data_samples: SampleList,
        target_inputs: Optional[Tensor] = None,
        target_data_samples: Optional[SampleList] = None,
        unlabeled_inputs: Optional[Tensor] = None,
        unlabeled_data_samples: Optional[SampleList] = None
    ) -> Dict[str, Tensor]:
        """Solver losses plus every regulariser's losses.

        Args:
            inputs: ``[N, 3, H, W]`` source images.
            data_samples: their samples, with ``gt_label``.
            target_inputs: labelled target images (``None`` or empty: no
                target stream).
            target_data_samples: their samples, with ``gt_label``.
            unlabeled_inputs: unlabelled target images (used only when a
                regulariser needs the ``'unlabeled'`` stream).
            unlabeled_data_samples: their samples (``gt_*`` fields are
                dropped).

        Returns:
            dict[str, Tensor]: ``sup.loss`` (``'ft'``) or ``src.loss`` /
            ``tgt.loss`` (``'st'``), then the regularisers' keys.

        Raises:
            ValueError: If ``data_samples`` is missing, or a regulariser
                needs a stream the batch lacks, or two regularisers return
                the same key.
        """
        if data_samples is None:
            raise ValueError("mode 'loss' needs data_samples with gt_label")
        streams: Dict[str, StreamOutputs] = {}
        losses = self._supervised(streams, inputs, data_samples, target_inputs,
                                  target_data_samples)
        if self._needs('unlabeled') and self._present(unlabeled_inputs):
            if unlabeled_data_samples is None:
                samples = [
                    ClsDataSample() for _ in range(len(unlabeled_inputs))
                ]
            else:
                samples = [label_free_copy(s) for s in unlabeled_data_samples]
            streams['unlabeled'] = self._stream(unlabeled_inputs, samples)
        for reg in self.regularizers:
            missing = [s for s in reg.required_streams if s not in streams]
            if missing:
                raise ValueError(
                    f'{type(reg).__name__} needs the stream(s) {missing} '
                    f"(e.g. 'unlabeled' -> unlabeled_inputs), but the "
                    f'training batch has only {sorted(streams)}; give the '
                    'train dataloader those streams')
            reg_losses = reg.loss(streams, self.head)
            clash = set(reg_losses) & set(losses)
            if clash:
                raise ValueError(
                    f'{type(reg).__name__} returns keys {sorted(clash)} '
                    'that are already used; give it another prefix')
            losses.update(reg_losses)
        return losses

    # ---------------------------------------------------- active learning
    def active_outputs(self) -> Tuple[str, ...]:
        """The names :meth:`predict_active` serves with this configuration.

        ``'prob'``, ``'feature'`` and ``'logits'`` always; ``'domain'``
        only with a regulariser that owns a domain discriminator (DANN,
        TSF); and every regulariser's ``active_outputs`` (TSF:
        ``'disc_grad'``).  The one list :meth:`predict_active` checks
        against and the selection setup checks a strategy's ``requires``
        against before any training (no forward pass).
        """
        names = ['prob', 'feature', 'logits']
        if any(r.has_domain_discriminator for r in self.regularizers):
            names.append('domain')
        for reg in self.regularizers:
            names += [n for n in reg.active_outputs if n not in names]
        return tuple(names)

    def check_active_requires(self, requires: Sequence[str]) -> None:
        """Raise ``ValueError`` for the names of ``requires`` served
        neither by :meth:`predict_active` (:meth:`active_outputs`) nor by
        :meth:`active_constants` (:attr:`ACTIVE_CONSTANTS`), saying which
        regulariser would serve them.

        Args:
            requires: a strategy's ``requires``.
        """
        missing = [
            n for n in dict.fromkeys(requires) if
            n not in self.active_outputs() and n not in self.ACTIVE_CONSTANTS
        ]
        if missing:
            raise self._unserved_error(missing)

    def _unserved_error(self, missing: Sequence[str]) -> ValueError:
        regs = [type(r).__name__ for r in self.regularizers] or 'none'
        hints, notes = [], []
        for name in missing:
            owners = _regularizers_serving(name)
            if name == 'domain':
                hints.append(
                    "'domain' needs a regulariser with a domain "
                    f"discriminator ({', '.join(owners) or 'none known'})")
            elif owners:
                hints.append(f'{name!r} is served by {", ".join(owners)}')
            elif unserved_hint(name, 'image') is not None:
                notes.append(unserved_hint(name, 'image'))
        hint = ('; '.join(hints) + ' in model.regularizers') if hints else (
            'no registered regulariser serves it')
        if notes:
            hint += '; ' + '; '.join(notes)
        return ValueError(
            f'{type(self).__name__}.predict_active cannot serve '
            f"{', '.join(map(repr, missing))}: with its regularisers "
            f'({regs}) it serves {list(self.active_outputs())} (and the '
            f'constants {list(self.ACTIVE_CONSTANTS)}); {hint}')

    @torch.no_grad()
    def predict_active(self, inputs: Tensor, data_samples: SampleList,
                       requires: Sequence[str]) -> Dict[str, List[Tensor]]:
        """Per-sample outputs a selection strategy ``requires``.

        Runs in the model's current mode (the selection pass puts it in
        ``eval()``) and under ``torch.no_grad()``.

        Args:
            inputs (Tensor): ``[N, 3, H, W]`` normalised images.
            data_samples (list[ClsDataSample]): Their samples (unused
                except for their number; labels are never read).
            requires (Sequence[str]): Among ``'prob'`` ([C] softmax),
                ``'feature'`` ([256] head ``pre_logits``), ``'logits'``
                ([C]), ``'domain'`` ([1] or [C], from the regulariser that
                owns a domain discriminator) and names served by a
                regulariser's ``active_outputs``: the model outputs for
                image units declared in
                :data:`mmseg_ada.active.requirements.REQUIREMENTS`.

        Returns:
            dict[str, list[Tensor]]: For each requirement a list of ``N``
            per-sample tensors (on the model's device).

        Raises:
            ValueError: For a requirement nobody serves, or ``'domain'``
                without a domain discriminator.
        """
        requires = tuple(dict.fromkeys(requires))
        served = self.active_outputs()
        missing = [n for n in requires if n not in served]
        if missing:
            raise self._unserved_error(missing)
        owners = {}
        for name in requires:
            if name == 'domain':
                owners[name] = next(r for r in self.regularizers
                                    if r.has_domain_discriminator)
            elif name not in ('prob', 'feature', 'logits'):
                owners[name] = next(r for r in self.regularizers
                                    if name in r.active_outputs)
        emb = self.extract_feat(inputs, stage='pre_logits')
        logits = self.head.classify(emb)
        batched: Dict[str, Tensor] = {}
        for name in requires:
            if name == 'prob':
                batched[name] = F.softmax(logits, dim=1)
            elif name == 'feature':
                batched[name] = emb
            elif name == 'logits':
                batched[name] = logits
            elif name == 'domain':
                batched[name] = owners[name].predict_domain(emb)
            else:
                out = owners[name].predict_active((name, ), emb.detach(),
                                                  logits.detach())
                batched[name] = out[name]
        if data_samples is not None and len(data_samples) != len(inputs):
            raise ValueError(f'{len(inputs)} inputs but '
                             f'{len(data_samples)} data samples')
        return {k: list(v.detach().unbind(0)) for k, v in batched.items()}

    def active_constants(self, requires: Sequence[str]) -> dict:
        """Model constants a strategy ``requires`` (not per sample).

        Served names: ``'classifier_weight'`` (``[C, 256]`` weight W of
        the last linear layer, as stored), ``'classifier_bias'`` (``[C]``
        b; zeros for a bias-free layer), ``'classifier_temperature'``
        (float T; 1.0 for the plain linear head),
        ``'classifier_normalize_feature'`` and
        ``'classifier_normalize_weight'`` (bool).  The logits of a
        ``'feature'`` z are ``W' z' / T + b`` with ``z' = z / ||z||`` and
        ``W'`` = W with unit rows when the respective flag is set, else
        ``z`` and ``W`` (plain head: ``W z + b``).

        Args:
            requires: names among :attr:`ACTIVE_CONSTANTS`.

        Returns:
            dict: Detached copies of the requested constants.

        Raises:
            ValueError: For another name.
        """
        unknown = [r for r in requires if r not in self.ACTIVE_CONSTANTS]
        if unknown:
            raise ValueError(f'active_constants cannot serve {unknown}; '
                             f'served: {list(self.ACTIVE_CONSTANTS)}')
        head = self.head
        values = dict(
            classifier_weight=lambda: head.classifier_weight.detach().clone(),
            classifier_bias=lambda: head.classifier_bias.detach().clone(),
            classifier_temperature=lambda: float(head.temperature),
            classifier_normalize_feature=lambda: bool(head.normalize_feature),
            classifier_normalize_weight=lambda: bool(head.normalize_weight),
        )
        return {name: values[name]() for name in requires}
