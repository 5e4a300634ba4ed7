"""Data preprocessor for batches that hold a source and a target part."""
from __future__ import annotations

from typing import Any, Dict

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS


@MODELS.register_module()
class SourceTargetDataPreProcessor(SegDataPreProcessor):
    """:class:`SegDataPreProcessor` for source + target batches.

    A batch from :func:`~mmseg_ada.datasets.source_target_collate`
    (``dict(source=..., target=...)``) becomes::

        dict(inputs=..., data_samples=...,                  # source
             target_inputs=..., target_data_samples=...)    # target, if any

    Each part is normalised, padded and stacked exactly as mmseg's
    :class:`SegDataPreProcessor` would; an ordinary batch (validation, test,
    or a plain source-only loader) goes through unchanged.  Arguments are
    those of :class:`SegDataPreProcessor`.
    """

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Normalise, pad and stack a (source + target) batch."""
        if 'source' not in data:
            return super().forward(data, training)
        src = super().forward(data['source'], training)
        out = dict(inputs=src['inputs'], data_samples=src['data_samples'])
        if data.get('target'):
            tgt = super().forward(data['target'], training)
            out['target_inputs'] = tgt['inputs']
            out['target_data_samples'] = tgt['data_samples']
        return out
