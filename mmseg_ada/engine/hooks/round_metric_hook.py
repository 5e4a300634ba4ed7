"""Writes each round's validation score into its round report."""
from __future__ import annotations

import json
import os.path as osp
from typing import Dict, Optional

import numpy as np
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from mmseg_ada.utils.io import atomic_write_json

__all__ = ['RoundMetricHook']


@HOOKS.register_module()
class RoundMetricHook(Hook):
    """After the validation that ends a round, record its metrics.

    With :class:`~mmseg_ada.engine.ActiveLoop`, a validation that runs right
    after round ``k``'s last training iteration writes ``metrics`` (all
    numbers the evaluator returned), ``score`` (the one named ``metric``),
    ``score_name`` and ``evaluated_at_iter`` into ``active/round_<k>.json``
    (rank 0, atomically).  The validation that ends training before the
    first round (a source-only or warm-up phase inside the run) goes to
    ``active/start.json`` (the curves' 0% point).  Other validations write
    nothing, so a round's report only ever holds the score of the model that
    ended that round.  With online purchases (no rounds) every validation
    is appended to ``active/evals.json`` with the labelled fraction at that
    iteration, which the curve tool plots like rounds.

    Args:
        metric (str): the main metric (``'mIoU'`` for segmentation, the
            accuracy key for classification).
    """

    priority = 'LOW'

    def __init__(self, metric: str = 'mIoU') -> None:
        self.metric = metric

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        """Record ``metrics`` where this validation belongs (see the class
        docstring; rank 0 only, nothing without an active store).

        Args:
            runner (Runner): the runner.
            metrics: the evaluator's results (numbers are kept).
        """
        loop = runner.train_loop
        store = getattr(loop, 'store', None)
        if (store is None or not metrics or not is_main_process()
                or not hasattr(loop, 'schedule')):
            return
        it = runner.iter
        nums = {
            key: float(v)
            for key, v in metrics.items()
            if isinstance(v, (int, float, np.floating, np.integer))
        }
        acq = getattr(loop, 'acquisition', None)
        if acq is not None:
            path = osp.join(store.root, 'evals.json')
            rows = []
            if osp.isfile(path):
                with open(path) as f:
                    rows = [
                        r for r in json.load(f) if r['evaluated_at_iter'] < it
                    ]
            rows.append(
                dict(
                    metrics=nums,
                    score=nums.get(self.metric),
                    score_name=self.metric,
                    evaluated_at_iter=int(it),
                    unit='pixel',
                    labeled=int(acq.spent),
                    labeled_fraction=acq.spent / max(loop.total_cost, 1)))
            atomic_write_json(path, rows)
            return
        if it == loop.schedule.pretraining_end():
            atomic_write_json(
                osp.join(store.root, 'start.json'),
                dict(
                    metrics=nums,
                    score=nums.get(self.metric),
                    score_name=self.metric,
                    evaluated_at_iter=int(it)))
            return
        if it not in loop.schedule.round_ends():
            return
        k = loop.schedule.rounds_started(it - 1)
        if k < 1 or store.read_round(k) is None:
            return
        if self.metric not in nums:
            runner.logger.warning(
                f'RoundMetricHook: the evaluator returned no {self.metric!r}'
                f' (it returned {sorted(nums)}); round {k} gets no score')
        store.update_round(
            k,
            dict(
                metrics=nums,
                score=nums.get(self.metric),
                score_name=self.metric,
                evaluated_at_iter=int(it)))
