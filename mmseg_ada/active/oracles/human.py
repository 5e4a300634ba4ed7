"""The oracle that answers with labels a person gave (imported per round)."""
from __future__ import annotations

import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmseg_ada.registry import ORACLES
from mmseg_ada.utils.io import read_json
from mmseg_ada.utils.paths import image_stem
from ..stores.base import StoreIntegrityError
from .base import IGNORE, BaseOracle, LabelsNotImported
from .layout import version_dir

__all__ = ['HumanOracle', 'EXPORT_FORMATS']

#: the formats a round can be exported in, per kind of store
EXPORT_FORMATS = dict(
    mask=('labelstudio', 'cvat', 'png'), image=('labelstudio', 'cvat', 'list'))


def _import_hint(work_dir: str, k: int) -> str:
    return (f'python tools/annotate.py import {work_dir} --round {k} '
            'PATH --format {labelstudio,cvat,png,list}')


@ORACLES.register_module()
class HumanOracle(BaseOracle):
    """Labels a person gave, imported round by round.

    At each round the run selects and commits as usual (the budget is spent
    when units are bought), writes the round's annotation request and its
    exports to ``<work_dir>/active/annotate/round_<k>/`` and then stops
    (exit status 75, :data:`mmseg_ada.engine.EXIT_AWAITING_LABELS`) or
    waits (``wait``) until the round's labels are imported with
    ``tools/annotate.py import``.  It answers only from the imported
    version the run pinned for each round (never from the dataset's own
    annotations, even when they exist); a bought pixel or image a person
    left unlabelled stays unlabelled (255 / left out of training).

    It cannot answer inside a training step, so online purchases (ADA-MCU)
    are refused with it.

    Args:
        formats (Sequence[str], optional): exports written at every round
            (default: every format of the store's kind: ``labelstudio``,
            ``cvat`` and ``png`` for masks; ``labelstudio``, ``cvat`` and
            ``list`` for images).
        predictions (bool): pre-fill the exports with the model's class of
            each bought unit (a person corrects instead of drawing).
        url_prefix (str): Label Studio image URLs are ``url_prefix`` + the
            image path relative to ``document_root`` (default: Label
            Studio's local-files serving).
        document_root (str, optional): the folder image paths are relative
            to (default: the folder above the target images' common folder:
            Label Studio serves local files only from a storage folder
            strictly inside its document root; the round's
            ``labelstudio/README.txt`` names both).
        wait (dict, optional): ``dict(poll_seconds=30, timeout=None)``:
            wait for the imports instead of stopping (``timeout`` seconds,
            then stop; ``None``: wait for ever).
        cache_size (int): imported label maps kept in memory.
    """

    online = False
    requests = True

    def __init__(self,
                 formats: Optional[Sequence[str]] = None,
                 predictions: bool = True,
                 url_prefix: str = '/data/local-files/?d=',
                 document_root: Optional[str] = None,
                 wait: Optional[dict] = None,
                 cache_size: int = 8) -> None:
        super().__init__()
        known = sorted(set(sum(EXPORT_FORMATS.values(), ())))
        if formats is not None:
            bad = [f for f in formats if f not in known]
            if bad:
                raise ValueError(f'HumanOracle: unknown export formats {bad}'
                                 f' (known: {known})')
        self.formats = None if formats is None else tuple(formats)
        self.predictions = bool(predictions)
        self.url_prefix = str(url_prefix)
        # relative to where the run starts, like the config's data paths
        self.document_root = (None if document_root is None else
                              osp.abspath(document_root))
        if wait is not None:
            wait = dict(wait)
            unknown = set(wait) - {'poll_seconds', 'timeout'}
            if unknown:
                raise ValueError(f'HumanOracle: wait has unknown keys '
                                 f"{sorted(unknown)} (known: 'poll_seconds',"
                                 " 'timeout')")
            wait.setdefault('poll_seconds', 30)
            wait.setdefault('timeout', None)
            if float(wait['poll_seconds']) <= 0:
                raise ValueError('HumanOracle: wait.poll_seconds must be > 0')
        self.wait = wait
        self.cache_size = int(cache_size)
        self._store = None
        self._cache: 'OrderedDict[Tuple, Any]' = OrderedDict()

    def export_formats(self, kind: str) -> Tuple[str, ...]:
        """The formats exported at every round for a ``kind`` store.

        Args:
            kind: ``'mask'`` (segmentation) or ``'image'`` (classification).

        Returns:
            tuple[str]: the configured ``formats``, else all of
            :data:`EXPORT_FORMATS` ``[kind]``.

        Raises:
            ValueError: if a configured format does not apply to ``kind``.
        """
        if self.formats is None:
            return EXPORT_FORMATS[kind]
        bad = [f for f in self.formats if f not in EXPORT_FORMATS[kind]]
        if bad:
            raise ValueError(f'HumanOracle: formats {bad} do not apply to a '
                             f'{kind} store (use {EXPORT_FORMATS[kind]})')
        return self.formats

    def bind(self,
             dataset: Any,
             work_dir: Optional[str] = None,
             annotations: Any = None) -> 'HumanOracle':
        """Answer for ``dataset`` from the store of ``work_dir``.

        Args:
            dataset: the target dataset.
            work_dir: the run directory whose ``active/`` store holds the
                imported answers.
            annotations: kept for the interface (unused).

        Returns:
            HumanOracle: ``self``.
        """
        super().bind(dataset, work_dir, annotations)
        self._store = None
        self._cache.clear()
        return self

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state['_store'] = None  # re-opened per process
        state['_cache'] = OrderedDict()
        return state

    # ------------------------------------------------------------ store
    def store(self) -> Any:
        """The run's label store, read-only (refreshed: one ``os.stat``)."""
        if self.work_dir is None:
            raise RuntimeError('HumanOracle is not bound to a work_dir')
        if self._store is None:
            from mmseg_ada.active.stores import open_store
            try:
                self._store = open_store(self.work_dir)
            except FileNotFoundError as e:
                raise LabelsNotImported(
                    f'{e}: nothing was bought, so a person has nothing to '
                    'answer') from None
        self._store.refresh()
        return self._store

    def _version(self, k: int) -> int:
        rec = self.store().answers(k)
        if rec is None:
            raise LabelsNotImported(
                f'round {k} of {self.work_dir} has no imported labels in '
                'training yet: import them with '
                f'`{_import_hint(self.work_dir, k)}`, then continue the run '
                'with --resume')
        return int(rec['version'])

    def _cached(self, key: Tuple, load) -> Any:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        value = load()
        self._cache[key] = value
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return value

    def _stem(self, index: int) -> str:
        return image_stem(
            self._info(index)['img_path'],
            getattr(self.dataset, 'img_suffix', ''))

    # ------------------------------------------------------ segmentation
    def _meta(self, k: int, v: int) -> dict:
        """``answers.json`` of the pinned version ``v`` of round ``k``."""

        def load() -> dict:
            path = osp.join(version_dir(self.work_dir, k, v), 'answers.json')
            if not osp.isfile(path):
                raise StoreIntegrityError(
                    f'{path} is missing: round {k} trains on the imported '
                    f'version {v}, which is gone. Restore '
                    f'{version_dir(self.work_dir, k, v)} (the run cannot '
                    'reproduce its labels without it)')
            return read_json(path)

        return self._cached(('meta', k, v), load)

    def round_labels(self, k: int, stem: str,
                     shape: Sequence[int]) -> np.ndarray:
        """The labels answered for ``stem`` in round ``k``.

        Args:
            k: 1-based round.
            stem: the image's file stem (its name in the answers).
            shape: the image's ``(H, W, ...)``; the first two are used.

        Returns:
            np.ndarray: ``uint8 [H, W]``, 255 where nobody labelled (all 255
            if the image has no answer).

        Raises:
            LabelsNotImported: if round ``k`` has no imported answers.
            StoreIntegrityError: the pinned answers of an image that has
                some are missing or do not fit the image.
        """
        v = self._version(k)
        shape = tuple(int(s) for s in shape[:2])
        answered = int((self._meta(k, v).get('per_image', {}).get(stem)
                        or {}).get('answered', 0))

        def load() -> np.ndarray:
            path = osp.join(
                version_dir(self.work_dir, k, v), 'labels', stem + '.png')
            if not osp.isfile(path):
                if answered:
                    raise StoreIntegrityError(
                        f'{path} is missing: round {k} (version {v}) '
                        f'answered {answered} pixels of {stem!r}. Restore it '
                        '(the run cannot reproduce its labels without it)')
                return np.full(shape, IGNORE, np.uint8)
            lab = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if lab is None or lab.dtype != np.uint8 or lab.shape != shape:
                raise StoreIntegrityError(
                    f'{path}: imported labels of round {k} must be an 8-bit '
                    f'single-channel PNG of shape {shape}, got '
                    f'{None if lab is None else (lab.dtype, lab.shape)}')
            return lab

        return self._cached(('mask', k, v, stem), load)

    def bought_labels(self, index: int, stamps: np.ndarray) -> np.ndarray:
        """The answers of every round that bought a pixel of ``index``.

        Args:
            index: dataset index of the image.
            stamps: ``[H, W]`` the round that bought each pixel (0 = not
                bought).

        Returns:
            np.ndarray: ``uint8 [H, W]``, each pixel the answer of the round
            that bought it, 255 elsewhere.
        """
        stamps = np.asarray(stamps)
        out = np.full(stamps.shape[:2], IGNORE, np.uint8)
        stem = self._stem(index)
        for k in np.unique(stamps[stamps > 0]):
            sel = stamps == k
            out[sel] = self.round_labels(int(k), stem, stamps.shape)[sel]
        return out

    # ---------------------------------------------------- classification
    def round_image_labels(self, k: int) -> Dict[str, Optional[int]]:
        """The image labels answered in round ``k``.

        Args:
            k: 1-based round.

        Returns:
            dict: ``{image index (str): class or None}``.
        """
        v = self._version(k)

        def load() -> Dict[str, Optional[int]]:
            self._meta(k, v)  # the version is there
            path = osp.join(version_dir(self.work_dir, k, v), 'labels.json')
            if not osp.isfile(path):
                raise StoreIntegrityError(
                    f'{path} is missing: round {k} trains on its version '
                    f'{v}. Restore it')
            return dict(read_json(path)['labels'])

        return self._cached(('image', k, v), load)

    def image_label(self, index: int) -> Optional[int]:
        """The class a person gave bought image ``index``.

        Args:
            index: dataset index of the image.

        Returns:
            int | None: the class; ``None`` if left unanswered.

        Raises:
            KeyError: if the image was not bought.
        """
        store = self.store()
        k = store.round_of(index)
        if k == 0:
            raise KeyError(f'target image {index} was not bought (in the '
                           'rounds training has reached): the oracle answers '
                           'bought images only')
        label = self.round_image_labels(k).get(str(int(index)))
        return None if label is None else int(label)

    def class_histogram(
            self,
            index: int,
            num_classes: int,
            mask: Optional[np.ndarray] = None) -> Optional[np.ndarray]:
        """``None``: at selection time no person has answered yet.

        Args:
            index: dataset index (unused).
            num_classes: ``C`` (unused).
            mask: bought pixels (unused).

        Returns:
            None: always.
        """
        return None
