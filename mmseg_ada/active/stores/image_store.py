"""Bought images (classification): image ids by round."""
from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

import numpy as np

from mmseg_ada.registry import LABEL_STORES
from .base import BaseLabelStore

__all__ = ['ImageLabelStore']


@LABEL_STORES.register_module()
class ImageLabelStore(BaseLabelStore):
    """Which images of the target pool are labelled, by round.

    ``state.json``'s ``index`` maps every labelled image id (its index in
    the target dataset, as a string) to the round that bought it; the
    commit that writes ``state.json`` makes a round's images visible at
    once, so there is nothing to roll back after a crash.  The commit
    protocol, lock, fingerprint and cursor are those of
    :class:`BaseLabelStore`.

    Args:
        **kwargs: ``work_dir``, ``fingerprint``, ``readonly``: see
            :class:`BaseLabelStore`.
    """

    kind = 'image'
    unit_name = 'images'

    def _prepare(self) -> None:
        self._pending_ids: Dict[int, None] = {}

    def labeled_ids(self, upto: Optional[int] = None) -> np.ndarray:
        """``int64`` sorted ids of the images labelled in visible rounds.

        Args:
            upto: show rounds ``<= upto`` only (still capped by the
                visible round).
        """
        k = self._upto(upto)
        ids = [int(i) for i, r in self._state['index'].items() if int(r) <= k]
        return np.asarray(sorted(ids), dtype=np.int64)

    def round_of(self, image_id: int) -> int:
        """The visible round that bought ``image_id``.

        Args:
            image_id: dataset index.

        Returns:
            int: the round; 0 if not labelled (in the visible rounds).
        """
        r = int(self._state['index'].get(str(int(image_id)), 0))
        return r if r <= self.visible_round() else 0

    def add(self, image_ids: Iterable[int]) -> int:
        """Label ``image_ids`` in the pending round.

        Args:
            image_ids: dataset indices; already labelled or already added
                ones are skipped.

        Returns:
            int: images that were not labelled before (the budget spent).
        """
        self._require_writer()
        self._next_round()
        n_new = 0
        for i in image_ids:
            i = int(i)
            if i < 0:
                raise ValueError(f'image ids must be >= 0, got {i}')
            if str(i) in self._state['index'] or i in self._pending_ids:
                continue
            self._pending_ids[i] = None
            n_new += 1
        self._pending += n_new
        return n_new

    def _backend_commit(self, k: int) -> Dict[str, Any]:
        index = dict(self._state['index'])
        for i in self._pending_ids:
            index[str(i)] = k
        self._pending_ids = {}
        return dict(index=index)

    def _rollback(self, committed: int, items) -> None:
        self._pending_ids = {}
