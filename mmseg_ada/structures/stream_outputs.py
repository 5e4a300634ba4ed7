"""What the ADA image classifier computed for one input stream."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

from torch import Tensor

from .cls_data_sample import ClsDataSample

__all__ = ['StreamOutputs']


@dataclass
class StreamOutputs:
    """What the classifier computed for one input stream of a step.

    Attributes:
        feats (Tensor): ``[N, D]`` globally pooled backbone feature (the
            input of the head).
        embedding (Tensor): ``[N, 256]`` head ``pre_logits`` (the
            representation z shared by classifier and discriminators).
        logits (Tensor): ``[N, C]`` head logits (with gradient).
        data_samples (list[ClsDataSample]): The stream's samples.  For the
            ``'unlabeled'`` stream these are label-free copies: ``gt_label``
            and ``gt_score`` are removed by the classifier before any
            regulariser sees them.
    """
    feats: Tensor
    embedding: Tensor
    logits: Tensor
    data_samples: List[ClsDataSample]
