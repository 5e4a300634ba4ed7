"""What a selection strategy may require: the one declaration.

A strategy lists names in :attr:`~mmseg_ada.active.BaseStrategy.requires`;
:data:`REQUIREMENTS` says, for every name, who serves it and for which
unit kinds:

* ``'model'``: a per-image output of the model's ``predict_active`` (a
  ``[K, h, w]`` map from a segmentor, a ``[K]`` vector from a classifier).
  The unit kind pools it per unit: ``'prob'`` into ``pool.prob``,
  ``'feature'`` into ``pool.feature``, every other name into
  ``pool.extras[name]`` (a region's mean, a pixel's value, an image's row).
* ``'constant'``: one value for the whole model (the model's
  ``active_constants``), passed to ``select`` under its name.
* ``'engine'``: served by the selection pass itself (``'source_pool'``:
  the same collect over the source images, passed to ``select``).

The selector refuses, when it is built, a strategy that requires a name not
declared here (or one no model serves for its unit kind); the model then
says, before any training, whether its configuration serves the rest
(``check_active_requires``).  A plugin whose model or regulariser serves a
new output declares it with :func:`declare`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Sequence, Tuple

from .pool import UNIT_KINDS

__all__ = [
    'SERVERS', 'Requirement', 'REQUIREMENTS', 'declare', 'requirement_names',
    'served_by', 'check_requires', 'unserved_hint', 'POOL_FIELDS'
]

#: Who serves a requirement.
SERVERS = ('model', 'constant', 'engine')
#: Model outputs a unit kind stores in their own pool field (the rest go
#: to ``pool.extras``).
POOL_FIELDS = ('prob', 'feature')

_SEG = ('region', 'pixel')
_CLS = ('image', )


@dataclass(frozen=True)
class Requirement:
    """One name a strategy may require.

    Args:
        name: the name in ``requires``.
        server: ``'model'``, ``'constant'`` or ``'engine'``.
        kinds: the unit kinds it exists for (``'region'`` and ``'pixel'``:
            segmentors; ``'image'``: classifiers).
        description: what it is and which configuration serves it.
    """

    name: str
    server: str
    kinds: Tuple[str, ...]
    description: str


#: Every name a strategy may require, by name.
REQUIREMENTS: Dict[str, Requirement] = {}


def declare(name: str, server: str, kinds: Sequence[str],
            description: str) -> Requirement:
    """Declare (or re-declare identically) a requirement name.

    Args:
        name: the name strategies write in ``requires``.
        server: who serves it, one of :data:`SERVERS`.
        kinds: the unit kinds it exists for (non-empty, among
            ``UNIT_KINDS``).
        description: what it is and which configuration serves it.

    Returns:
        Requirement: the declaration, now in :data:`REQUIREMENTS`.

    Raises:
        ValueError: for an unknown server or unit kind, or a name already
            declared differently.
    """
    if server not in SERVERS:
        raise ValueError(f'requirement {name!r}: server must be one of '
                         f'{SERVERS}, got {server!r}')
    bad = [k for k in kinds if k not in UNIT_KINDS]
    if bad or not kinds:
        raise ValueError(f'requirement {name!r}: kinds must be among '
                         f'{UNIT_KINDS}, got {tuple(kinds)}')
    req = Requirement(str(name), server, tuple(kinds), str(description))
    old = REQUIREMENTS.get(req.name)
    if old is not None and old != req:
        raise ValueError(f'requirement {name!r} is already declared as '
                         f'{old}')
    REQUIREMENTS[req.name] = req
    return req


def requirement_names(server: Optional[str] = None,
                      kind: Optional[str] = None) -> Tuple[str, ...]:
    """The declared names, in declaration order.

    Args:
        server: keep only the names this server serves (``None``: all).
        kind: keep only the names that exist for this unit kind
            (``None``: all).

    Returns:
        tuple[str]: the names.
    """
    return tuple(r.name for r in REQUIREMENTS.values()
                 if (server is None or r.server == server) and (
                     kind is None or kind in r.kinds))


def served_by(requires: Iterable[str], server: str) -> Tuple[str, ...]:
    """The names of ``requires`` that ``server`` serves.

    Args:
        requires: requirement names, e.g. a strategy's ``requires``.
        server: one of :data:`SERVERS`.

    Returns:
        tuple[str]: those names, in order, once each; undeclared names
        count as model outputs (the model says).
    """
    out = []
    for name in dict.fromkeys(requires):
        req = REQUIREMENTS.get(name)
        if (req.server if req is not None else 'model') == server:
            out.append(name)
    return tuple(out)


def check_requires(requires: Iterable[str],
                   owner: str,
                   kind: Optional[str] = None) -> None:
    """Raise ``ValueError`` for names of ``requires`` not declared in
    :data:`REQUIREMENTS` (or not served for unit ``kind``).

    Args:
        requires: the names, e.g. a strategy's ``requires``.
        owner: who requires them (the strategy's name), for the message.
        kind: the unit kind, if known.
    """
    requires = tuple(dict.fromkeys(requires))
    unknown = [n for n in requires if n not in REQUIREMENTS]
    if unknown:
        raise ValueError(
            f'{owner} requires {", ".join(map(repr, unknown))}, which '
            f'{"is" if len(unknown) == 1 else "are"} not a known requirement;'
            f' known names: {list(REQUIREMENTS)} (see '
            'mmseg_ada/active/requirements.py; a plugin declares a new '
            'model output with mmseg_ada.active.requirements.declare)')
    if kind is None:
        return
    wrong = [n for n in requires if kind not in REQUIREMENTS[n].kinds]
    if wrong:
        where = '; '.join(f'{n!r} exists for {list(REQUIREMENTS[n].kinds)}'
                          for n in wrong)
        raise ValueError(f'{owner} requires {wrong}, which no model serves '
                         f'for {kind!r} units: {where}')


def unserved_hint(name: str, kind: str) -> Optional[str]:
    """Why a model's ``predict_active`` for ``kind`` units does not serve
    ``name``, as the declaration tells it.

    Args:
        name: the requirement name.
        kind: the unit kind.

    Returns:
        str | None: the reason; ``None`` when ``name`` is declared a model
        output for ``kind`` (the configuration decides).
    """
    req = REQUIREMENTS.get(name)
    if req is None:
        return (f'{name!r} is not a declared requirement '
                '(mmseg_ada.active.requirements)')
    if req.server == 'constant':
        return (f'{name!r} is a model constant (active_constants of a '
                f'model for {list(req.kinds)} units), not a per-image output')
    if req.server == 'engine':
        return f'{name!r} is served by the selection engine, not the model'
    if kind not in req.kinds:
        return (f'{name!r} is an output of models for {list(req.kinds)} '
                f'units, not {kind!r} ({req.description})')
    return None


# ------------------------------------------------------------ the table
declare(
    'prob', 'model', _SEG + _CLS,
    'softmax probabilities ([C, h, w] map of the decode head; [C] '
    'per image)')
declare(
    'feature', 'model', _SEG + _CLS,
    "embedding: the decode head's [D, h', w'] feature map before the "
    'classifier (a head with forward_feature); the [D] head '
    'pre_logits per image')
declare(
    'feature_sq_norm', 'model', _SEG,
    "[1, h', w'] squared L2 norm of the feature map (with 'feature' a "
    "region's mean gives its feature variance); a head with "
    'forward_feature')
declare('aux_prob', 'model', _SEG,
        'softmax of the auxiliary head ([C, h, w]); model.auxiliary_head')
declare(
    'domain', 'model', _SEG + _CLS,
    'P(source) of the domain discriminator ([1, h, w] of '
    "model.discriminator; [1] or [C] of a regulariser's discriminator "
    'per image, DANN / TSF)')
declare(
    'image_gradient', 'model', _SEG,
    "[1, H, W] ReDAL's colour discontinuity per pixel (mean |RGB| "
    'difference to the 8 neighbours), at the input resolution')
declare('logits', 'model', _CLS, '[C] classifier logits per image')
declare(
    'disc_grad', 'model', _CLS,
    '[C, D] rows -d log d_c(z) / dz of the TSF discriminator per image '
    '(SAGE); model.regularizers with TSFRegularizer')
declare('classifier_weight', 'constant', _CLS,
        '[C, D] weight W of the last linear layer, as stored')
declare('classifier_bias', 'constant', _CLS,
        '[C] bias b of the last linear layer (zeros when it has none)')
declare('classifier_temperature', 'constant', _CLS,
        'temperature T of a cosine head (1.0 for the plain linear head)')
declare('classifier_normalize_feature', 'constant', _CLS,
        'bool: the head L2-normalises the embedding')
declare('classifier_normalize_weight', 'constant', _CLS,
        "bool: the head L2-normalises W's rows")
declare(
    'source_pool', 'engine', UNIT_KINDS,
    'the same collect over the source images (a UnitPool), passed to '
    'select as source_pool; needs source_pool_dataloader')
