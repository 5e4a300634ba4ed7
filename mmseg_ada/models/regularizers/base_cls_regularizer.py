"""Interface of the unlabelled-data regularisers of the ADA classifier."""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor

from mmseg_ada.structures import StreamOutputs

__all__ = ['BaseClsRegularizer']


class BaseClsRegularizer(BaseModule):
    """A loss on top of the supervised solver of ``ADAImageClassifier``.

    A regulariser (MME, DANN, TSF, ...) is built from the classifier's
    ``regularizers=[dict(type=...)]`` list (mmseg's ``MODELS`` registry);
    each :meth:`loss` call receives the outputs of every stream present in
    the step and the head, and returns its own loss dict; the classifier
    adds the dicts (every key holding ``'loss'`` is summed by mmengine).
    Keys must be unique across regularisers; prefix them with
    :attr:`prefix`.

    Subclasses set :attr:`required_streams` (the classifier raises a clear
    error when a training batch lacks one of them) and may own modules
    (e.g. a domain discriminator); those are parameters of the classifier
    and are optimised with it.  A regulariser owning a domain
    discriminator sets :attr:`has_domain_discriminator` and implements
    :meth:`predict_domain`; one serving further selection outputs lists
    their names in :attr:`active_outputs` and implements
    :meth:`predict_active`.

    Args:
        prefix (str): Prefix of the loss keys.
        init_cfg (dict, optional): Initialisation config.
    """

    #: Streams (``'source'``, ``'target'``, ``'unlabeled'``) the loss needs.
    required_streams: Tuple[str, ...] = ('unlabeled', )
    #: Whether :meth:`predict_domain` is implemented.
    has_domain_discriminator: bool = False
    #: Extra ``predict_active`` outputs served by :meth:`predict_active`.
    active_outputs: Tuple[str, ...] = ()

    def __init__(self, prefix: str, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.prefix = str(prefix)

    def loss(self, streams: Dict[str, StreamOutputs],
             head: BaseModule) -> Dict[str, Tensor]:
        """Loss dict of one training step.

        Args:
            streams (dict[str, StreamOutputs]): Outputs per present stream
                (``'source'`` always; ``'target'`` once labelled target
                data exist; ``'unlabeled'`` when the loader provides it).
            head (BaseModule): The classification head (``classify``
                applies its last layer to embeddings).

        Returns:
            dict[str, Tensor]: Losses (keys containing ``'loss'`` are
            summed into the total) and scalars to log.
        """
        raise NotImplementedError

    def predict_domain(self, embedding: Tensor) -> Tensor:
        """The domain discriminator's output (regularisers that have one).

        Args:
            embedding: ``[N, D]`` embeddings z.

        Returns:
            Tensor: ``[N, 1]`` or ``[N, C]`` domain-discriminator output.

        Raises:
            NotImplementedError: here (no discriminator).
        """
        raise NotImplementedError(
            f'{type(self).__name__} has no domain discriminator')

    def predict_active(self, requires: Sequence[str], embedding: Tensor,
                       logits: Tensor) -> Dict[str, Tensor]:
        """Batched ``[N, ...]`` selection outputs named in ``requires``.

        Called by the classifier under ``torch.no_grad()`` with detached
        inputs; a regulariser whose output needs gradients (e.g. the
        gradient of its discriminator with respect to z) enables them
        itself (``torch.enable_grad()`` on ``embedding.requires_grad_()``).

        Args:
            requires: names among the regulariser's ``active_outputs``.
            embedding: ``[N, D]`` embeddings z.
            logits: ``[N, C]`` classifier logits.

        Returns:
            dict[str, Tensor]: ``[N, ...]`` per name.

        Raises:
            NotImplementedError: here (no active outputs).
        """
        raise NotImplementedError(
            f'{type(self).__name__} serves no active outputs')
