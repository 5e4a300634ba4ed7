"""Bought pixels of target images (segmentation): one stamp map per image."""
from __future__ import annotations

import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmseg_ada.registry import LABEL_STORES
from mmseg_ada.utils.io import atomic_write_bytes, encode_label_png, fsync_dir
from .base import BaseLabelStore, StoreIntegrityError

__all__ = ['MaskLabelStore']


def _check_stem(stem: str) -> str:
    if (not isinstance(stem, str) or not stem or stem.startswith('.')
            or '/' in stem or '\\' in stem or '\0' in stem or '\n' in stem):
        raise ValueError(
            f'invalid image stem {stem!r}: expected a non-empty file name '
            'without path separators that does not start with "."')
    return stem


@LABEL_STORES.register_module()
class MaskLabelStore(BaseLabelStore):
    """Which pixels of each target image are labelled, by round.

    ``masks/<stem>.png`` is a single-channel PNG per image that has a
    labelled pixel: 0 = not labelled, ``k >= 1`` = bought in round (commit)
    ``k``; 8-bit while every stamp is below 256 (half the encode and decode
    time of 16-bit, which ``benchmarks/selection.py`` sees in the commit),
    16-bit from round 256 on.  Storing the round rather than 1 makes a
    round's commit a single atomic write of ``state.json``: readers count
    only pixels of rounds up to the visible round, so pixels of an
    interrupted round are invisible and are rolled back when the store is
    opened for writing.  Up to 65535 rounds or online commits.
    ``state.json``'s ``index`` maps every labelled stem to the first round
    that labelled it; a labelled stem whose map is missing (deleted,
    not copied) is an error when the store is opened for writing (one
    ``os.path.isfile`` per labelled image) and whenever the map is read,
    never unlabelled pixels.

    Args:
        **kwargs: ``work_dir``, ``fingerprint``, ``readonly``: see
            :class:`BaseLabelStore`.
    """

    kind = 'mask'
    unit_name = 'pixels'
    max_rounds = 65535

    def _prepare(self) -> None:
        self.mask_dir = osp.join(self.root, 'masks')

    def missing_masks(self) -> List[Tuple[str, int]]:
        """``(stem, round)`` of every committed labelled image whose stamp
        map is missing (``round``: the first round that labelled it)."""
        return [(s, int(r)) for s, r in sorted(self._state['index'].items())
                if not osp.isfile(self.mask_path(s))]

    def _missing_error(self, missing: Sequence[Tuple[str, int]]) -> Exception:
        shown = '; '.join(
            f'{self.mask_path(s)} (image {s!r}, labelled in round {r})'
            for s, r in missing[:5])
        more = f' and {len(missing) - 5} more' if len(missing) > 5 else ''
        return StoreIntegrityError(
            f'label store {self.root}: the stamp map of {len(missing)} '
            f'labelled image(s) is missing: {shown}{more}. state.json '
            'counts their bought pixels; read as unlabelled they would '
            'vanish from training and could be bought again. Restore the '
            'file(s) from a backup or a copy of this work dir (they cannot '
            'be rebuilt: the state counts pixels, it does not say which). '
            f'`python tools/check_store.py {self.work_dir}` lists every '
            'problem; to start over, use another --work-dir')

    @classmethod
    def _backend_traces(cls, root: str, items: Sequence[str]) -> List[str]:
        # a stamp map that round 1 did not touch, or one with a stamp above
        # 1, is of a committed round (items: those pending.log lists)
        mask_dir = osp.join(root, 'masks')
        if not osp.isdir(mask_dir):
            return []
        pending, out = set(items), []
        for name in sorted(os.listdir(mask_dir)):
            if not name.endswith('.png') or name.startswith('.'):
                continue
            path = osp.join(mask_dir, name)
            if name[:-4] not in pending:
                out.append(path)
                continue
            try:
                if int(cls._read_raw(path).max(initial=0)) > 1:
                    out.append(path)
            except ValueError:
                out.append(path)
        return out

    def _check_files(self) -> None:
        missing = self.missing_masks()
        if missing:
            raise self._missing_error(missing)

    # ------------------------------------------------------------ reading
    @property
    def labeled_pixels(self) -> int:
        """Labelled pixels over all images, committed rounds only."""
        return self.labeled

    def labeled_stems(self, upto: Optional[int] = None) -> List[str]:
        """Sorted stems with a labelled pixel in the visible rounds.

        Args:
            upto: show rounds ``<= upto`` only (still capped by the
                visible round).
        """
        k = self._upto(upto)
        return sorted(s for s, r in self._state['index'].items()
                      if int(r) <= k)

    def is_labeled(self, stem: str, upto: Optional[int] = None) -> bool:
        """Whether ``stem`` has a labelled pixel in the visible rounds
        (from the state alone: no file is read).

        Args:
            stem: image stem.
            upto: look at rounds ``<= upto`` only (still capped by the
                visible round).

        Returns:
            bool: whether the image was first labelled in such a round.
        """
        r = self._state['index'].get(stem)
        return r is not None and int(r) <= self._upto(upto)

    def mask_path(self, stem: str) -> str:
        """Path of the stamp map of image ``stem``.

        Args:
            stem: image stem (checked: no separators, no leading dot).

        Returns:
            str: ``<mask_dir>/<stem>.png``.
        """
        return osp.join(self.mask_dir, _check_stem(stem) + '.png')

    @staticmethod
    def _read_raw(path: str) -> np.ndarray:
        raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if raw is None or raw.ndim != 2 or raw.dtype not in (np.uint8,
                                                             np.uint16):
            raise ValueError(f'{path} is not a single-channel 8/16-bit PNG '
                             'stamp map of a label store')
        return raw.astype(np.uint16, copy=False)

    def round_map(self,
                  stem: str,
                  shape: Sequence[int],
                  upto: Optional[int] = None) -> np.ndarray:
        """``uint16 [H, W]``: the round that labelled each pixel, 0 = none.

        Only rounds up to the visible round (and ``upto``) are shown.

        Args:
            stem: image stem.
            shape: ``(H, W)`` of the image; used when nothing is labelled
                and checked against the stored map.
            upto: optional further cap on the rounds shown.

        Returns:
            np.ndarray: the round of every pixel.
        """
        raw = self._raw_or_zeros(stem, shape)
        raw[raw > self._upto(upto)] = 0
        return raw

    def mask(self,
             stem: str,
             shape: Sequence[int],
             upto: Optional[int] = None) -> np.ndarray:
        """``bool [H, W]``: which pixels of ``stem`` are labelled.

        Args:
            stem: image stem.
            shape: ``(H, W)`` of the image.
            upto: optional cap on the rounds shown (see :meth:`round_map`).
        """
        return self.round_map(stem, shape, upto) > 0

    # ------------------------------------------------------------ writing
    @staticmethod
    def _write_raw(path: str, raw: np.ndarray) -> None:
        dtype = np.uint8 if int(raw.max(initial=0)) < 256 else np.uint16
        try:
            buf = encode_label_png(raw.astype(dtype, copy=False))
        except OSError:
            raise OSError(f'could not encode the stamp map {path}') from None
        atomic_write_bytes(path, buf)

    def add(self, stem: str, new_mask: np.ndarray) -> int:
        """Label the pixels ``new_mask`` of ``stem`` in the pending round.

        The pixels are OR-merged into the image's map (already labelled
        pixels keep their round) and written to disk at once, but stay
        invisible until :meth:`commit`.

        Args:
            stem: image stem.
            new_mask: ``bool [H, W]`` pixels to label.

        Returns:
            int: pixels that were not labelled before (the budget spent).
        """
        return int(np.count_nonzero(self.add_mask(stem, new_mask)))

    def add_mask(self, stem: str, new_mask: np.ndarray) -> np.ndarray:
        """:meth:`add`, returning the pixels it labelled.

        The stamp map is read once: the pixels already labelled are those
        it stamps, so a caller needs no :meth:`mask` read beforehand.
        Calls for different stems may run in threads at once (never two for
        the same stem, nor beside :meth:`commit`).

        Args:
            stem: image stem.
            new_mask: ``bool [H, W]`` pixels to label.

        Returns:
            np.ndarray: ``bool [H, W]``, the pixels of ``new_mask`` that were
            not labelled before (their count is the budget spent).
        """
        self._require_writer()
        new_mask = np.asarray(new_mask)
        if new_mask.ndim != 2:
            raise ValueError(f'mask for {stem!r} must be 2-D [H, W], got '
                             f'shape {new_mask.shape}')
        raw = self._raw_or_zeros(stem, new_mask.shape)
        return self._merge(stem, raw, new_mask.astype(bool, copy=False))

    def _merge(self, stem: str, raw: np.ndarray,
               new_mask: np.ndarray) -> np.ndarray:
        """Stamp the unlabelled pixels of ``new_mask`` into ``raw``; write.

        Returns the pixels stamped (``bool [H, W]``).
        """
        k = self._next_round()
        new = new_mask & (raw == 0)
        n_new = int(np.count_nonzero(new))
        if n_new == 0:
            return new
        with self._pending_lock:  # journalled before the file is written
            self._mark_pending(stem)
        raw[new] = k
        # encoding and writing run outside the lock: threads that write
        # different images encode at once (cv2 releases the GIL)
        self._write_raw(self.mask_path(stem), raw)
        with self._pending_lock:
            self._pending += n_new
        return new

    def add_pixels(self, stem: str, shape: Sequence[int],
                   flat_index: np.ndarray) -> np.ndarray:
        """Label the pixels ``flat_index`` (``y * W + x``) of ``stem``.

        Args:
            stem: image stem.
            shape: ``(H, W)`` of the image.
            flat_index: pixel indices (duplicates allowed).

        Returns:
            np.ndarray: the indices that were not labelled before, sorted.
        """
        shape = tuple(int(s) for s in shape[:2])
        flat_index = np.unique(np.asarray(flat_index, dtype=np.int64))
        if flat_index.size and (flat_index[0] < 0
                                or flat_index[-1] >= shape[0] * shape[1]):
            raise ValueError(f'pixel indices of {stem!r} outside the image '
                             f'of shape {shape}')
        self._require_writer()
        raw = self._raw_or_zeros(stem, shape)
        fresh = flat_index[raw.reshape(-1)[flat_index] == 0]
        new = np.zeros(shape[0] * shape[1], dtype=bool)
        new[fresh] = True
        self._merge(stem, raw, new.reshape(shape))
        return fresh

    def _raw_or_zeros(self, stem: str, shape: Sequence[int]) -> np.ndarray:
        shape = tuple(int(s) for s in shape[:2])
        path = self.mask_path(stem)
        if not osp.isfile(path):
            first = self._state['index'].get(stem)
            if first is not None:  # committed, then lost
                raise self._missing_error([(stem, int(first))])
            return np.zeros(shape, np.uint16)
        raw = self._read_raw(path)
        if raw.shape != shape:
            raise ValueError(f'a mask of shape {shape} for {stem!r}, but '
                             f'{path} has shape {raw.shape}')
        return raw

    def _backend_commit(self, k: int) -> Dict[str, Any]:
        fsync_dir(self.mask_dir)
        index = dict(self._state['index'])
        for stem in self._pending_items:
            index.setdefault(stem, k)
        return dict(index=index)

    def _temp_dirs(self) -> List[str]:
        return [self.root, self.mask_dir]

    def _rollback(self, committed: int, items: Sequence[str]) -> None:
        for stem in items:
            path = self.mask_path(stem)
            if not osp.isfile(path):
                continue
            raw = self._read_raw(path)
            stale = raw > committed
            if not stale.any():
                continue
            raw[stale] = 0
            if raw.any():
                self._write_raw(path, raw)
            else:
                os.unlink(path)
        fsync_dir(self.mask_dir)
