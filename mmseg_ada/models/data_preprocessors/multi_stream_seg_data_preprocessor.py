"""Data preprocessor for batches that hold several input streams."""
from __future__ import annotations

from typing import Any, Dict

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

__all__ = ['MultiStreamSegDataPreProcessor']


@MODELS.register_module()
class MultiStreamSegDataPreProcessor(SegDataPreProcessor):
    """:class:`SegDataPreProcessor` for multi-stream batches.

    A batch from :func:`~mmseg_ada.datasets.multi_stream_collate`
    (``dict(source=..., target=..., ...)``) becomes::

        dict(inputs=..., data_samples=...,                  # source
             target_inputs=..., target_data_samples=...,    # each other
             ...)                                           # stream present

    Each stream is normalised, padded and stacked exactly as mmseg's
    :class:`SegDataPreProcessor` would; an ordinary batch (validation,
    test, the selection pass) goes through unchanged.

    Args:
        primary (str): the stream that becomes ``inputs``/``data_samples``.
        **kwargs: the arguments of :class:`SegDataPreProcessor`.
    """

    def __init__(self, primary: str = 'source', **kwargs) -> None:
        super().__init__(**kwargs)
        self.primary = primary

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Normalise, pad and stack every stream of the batch.

        Args:
            data: a dict of streams (``{name: batch}``), or a plain batch
                (without the primary stream's key), preprocessed as is.
            training: whether in training (mmseg's batch augments).

        Returns:
            dict: ``inputs``/``data_samples`` of the primary stream and
            ``<name>_inputs``/``<name>_data_samples`` of every other
            non-empty stream.
        """
        if self.primary not in data:
            return super().forward(data, training)
        out: Dict[str, Any] = {}
        for name, batch in data.items():
            if not batch:
                continue
            res = super().forward(batch, training)
            if name == self.primary:
                out['inputs'] = res['inputs']
                out['data_samples'] = res['data_samples']
            else:
                out[f'{name}_inputs'] = res['inputs']
                out[f'{name}_data_samples'] = res['data_samples']
        return out
