"""Builds one optimiser wrapper per part of a multi-optimiser model."""
from __future__ import annotations

import copy
from typing import Dict, List, Optional

from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ADAAdversarialOptimWrapperConstructor:
    """Builds an :class:`~mmengine.optim.OptimWrapperDict` for a model trained
    with several optimisers, e.g. :class:`~mmseg_ada.models.segmentors.
    AdversarialEncoderDecoder` (segmentor + discriminators).

    Each top-level key of the config is one optimiser wrapper; its parameters
    are those of the model's children listed for that key by
    ``model.optim_wrapper_modules()`` (for the adversarial segmentor:
    ``segmentor`` = backbone, decode and auxiliary heads, ...;
    ``discriminator`` = ``discriminator`` and ``aux_discriminator``).  A model
    without that method maps each key to the child of the same name.  Every
    wrapper is built by its own constructor (``constructor`` key, default
    ``DefaultOptimWrapperConstructor``) over a container holding those
    children under their own names, so ``paramwise_cfg`` keys such as
    ``'decode_head'`` work as in a single-optimiser config::

        optim_wrapper = dict(
            constructor='ADAAdversarialOptimWrapperConstructor',
            segmentor=dict(
                type='OptimWrapper',
                optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9,
                               weight_decay=5e-4),
                paramwise_cfg=dict(custom_keys={
                    'decode_head': dict(lr_mult=10.),
                    'auxiliary_head': dict(lr_mult=10.)})),
            discriminator=dict(
                type='OptimWrapper',
                optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))

    One Adam over both discriminators is the same as AdaptSegNet's one Adam
    per discriminator (Adam's update is per parameter).

    Args:
        optim_wrapper_cfg (dict): ``{name: wrapper config}``; each wrapper
            config has an ``optimizer`` and optionally ``type``,
            ``paramwise_cfg``, ``constructor`` and the wrapper's arguments.
        paramwise_cfg (dict, optional): Must be ``None``: give it per
            wrapper.

    Raises:
        ValueError: on a malformed config, a model whose parts do not match
            the config's keys, or trainable parameters left to no wrapper.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict) or not optim_wrapper_cfg:
            raise ValueError(
                'ADAAdversarialOptimWrapperConstructor: optim_wrapper must be '
                'a dict of {name: wrapper config}, got '
                f'{optim_wrapper_cfg!r}')
        if paramwise_cfg is not None:
            raise ValueError(
                'ADAAdversarialOptimWrapperConstructor: give paramwise_cfg '
                'inside each wrapper (optim_wrapper.<name>.paramwise_cfg), '
                'not at the top level')
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise ValueError(
                    f'optim_wrapper.{name} must be a wrapper config with an '
                    f"'optimizer' key, got {cfg!r}")
        self.optim_wrapper_cfg = copy.deepcopy(dict(optim_wrapper_cfg))

    @staticmethod
    def _parts(model: nn.Module, names: List[str]) -> Dict[str, List[str]]:
        if hasattr(model, 'optim_wrapper_modules'):
            parts = model.optim_wrapper_modules()
            return {k: list(v) for k, v in parts.items()}
        return {name: [name] for name in names}

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build the wrappers for ``model`` (or the module of a wrapper)."""
        if is_model_wrapper(model):
            model = model.module
        names = list(self.optim_wrapper_cfg)
        parts = self._parts(model, names)
        if set(parts) != set(names):
            raise ValueError(
                f'optim_wrapper has wrappers {sorted(names)} but '
                f'{type(model).__name__} has parts {sorted(parts)}')
        children = dict(model.named_children())
        owner: Dict[str, str] = {}
        for name in names:
            for child in parts[name]:
                if child not in children:
                    raise ValueError(
                        f'optim_wrapper.{name}: {type(model).__name__} has no '
                        f'child module {child!r}')
                if child in owner:
                    raise ValueError(f'child module {child!r} is in both '
                                     f'optim_wrapper.{owner[child]} and '
                                     f'optim_wrapper.{name}')
                owner[child] = name
        orphans = [
            f'{child}.{p_name}'
            for child, module in children.items() if child not in owner
            for p_name, p in module.named_parameters() if p.requires_grad
        ] + [
            n for n, p in model.named_parameters(recurse=False)
            if p.requires_grad
        ]
        if orphans:
            raise ValueError(
                'trainable parameters in no optimiser wrapper: '
                f'{orphans[:5]}{" ..." if len(orphans) > 5 else ""}')

        wrappers = {}
        for name in names:
            cfg = copy.deepcopy(self.optim_wrapper_cfg[name])
            constructor = cfg.pop('constructor',
                                  'DefaultOptimWrapperConstructor')
            sub_paramwise = cfg.pop('paramwise_cfg', None)
            container = nn.Module()
            for child in parts[name]:
                container.add_module(child, children[child])
            builder = OPTIM_WRAPPER_CONSTRUCTORS.build(
                dict(
                    type=constructor,
                    optim_wrapper_cfg=cfg,
                    paramwise_cfg=sub_paramwise))
            wrappers[name] = builder(container)
        return OptimWrapperDict(**wrappers)
