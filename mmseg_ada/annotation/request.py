"""What a round asks a person to label: the annotation request.

The run writes round ``k``'s request to
``<work_dir>/active/annotate/round_<k>/request/`` before the round's commit
(so every committed round answered by a person has one), and every export
(:mod:`mmseg_ada.annotation.formats`) and import is made from it, without
the model or the dataset:

* ``request.json``: the round, the kind of store (``'mask'`` or
  ``'image'``), the unit kind, the class names, the folder image names are
  relative to, and per image its dataset index, stem, name, size, units
  and cost (and, for images, the model's class);
* ``units/<stem>.png`` (masks): 16-bit, 0 where nothing was asked, ``j``
  where the pixel belongs to the image's ``j``-th bought unit (its region
  id is ``units[j - 1]``; pixel units are all ``1``);
* ``pred/<stem>.png`` (masks, with predictions): the model's class of each
  asked pixel (a region's class is the argmax of its mean softmax, as
  ADeADA defines it), 255 elsewhere.
"""
from __future__ import annotations

import os
import os.path as osp
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import cv2
import numpy as np

from mmseg_ada.active.oracles.layout import request_dir
from mmseg_ada.utils.io import atomic_write_json, fsync_dir, read_json

__all__ = ['RequestedImage', 'AnnotationRequest', 'RequestError']

IGNORE = 255
_FORMAT = 1
#: The arguments of :class:`AnnotationRequest` that ``request.json`` holds
#: as they are (before ``cost`` and ``images``).
_FIELDS = ('round', 'kind', 'unit', 'classes', 'image_root', 'predictions')


class RequestError(ValueError):
    """A missing or inconsistent annotation request."""


@dataclass
class RequestedImage:
    """One image of a round's request.

    Args:
        index: the image's index in the target dataset.
        stem: its file name without the dataset's suffix (the store key).
        name: its path relative to the request's ``image_root`` (``/``
            separators): the name exports and imports use.
        img_path: its absolute path.
        height: image height.
        width: image width.
        cost: pixels asked (masks) or 1 (images).
        units: region ids of the bought regions, in unit-map order
            (region units; empty otherwise).
        predicted: the model's class (images, with predictions).
    """

    index: int
    stem: str
    name: str
    img_path: str
    height: int
    width: int
    cost: int
    units: List[int] = field(default_factory=list)
    predicted: Optional[int] = None


class AnnotationRequest:
    """Round ``k``'s request: what a person is asked to label.

    Args:
        round: the round.
        kind: ``'mask'`` (pixels of images) or ``'image'`` (whole images).
        unit: ``'region'``, ``'pixel'`` or ``'image'``.
        classes: class names; a label ``c`` is ``classes[c]``.
        image_root: the folder ``RequestedImage.name`` is relative to.
        images: the images, in dataset order.
        predictions: whether the model's classes were saved.
        root: the request folder (set by :meth:`load` / :meth:`save`).
    """

    def __init__(self,
                 round: int,
                 kind: str,
                 unit: str,
                 classes: Sequence[str],
                 image_root: str,
                 images: Sequence[RequestedImage],
                 predictions: bool = True,
                 root: Optional[str] = None) -> None:
        if kind not in ('mask', 'image'):
            raise ValueError(f"kind must be 'mask' or 'image', got {kind!r}")
        self.round = int(round)
        self.kind = kind
        self.unit = unit
        self.classes = [str(c) for c in classes]
        self.image_root = image_root
        self.images = sorted(images, key=lambda im: im.index)
        self.predictions = bool(predictions)
        self.root = root
        self._by_stem = {im.stem: im for im in self.images}
        self._by_index = {im.index: im for im in self.images}
        self._by_name = {im.name: im for im in self.images}
        self._maps: Dict[str, np.ndarray] = {}
        self._preds: Dict[str, np.ndarray] = {}

    # ---------------------------------------------------------- lookups
    def by_stem(self, stem: str) -> Optional[RequestedImage]:
        """The requested image with this stem.

        Args:
            stem: image stem.

        Returns:
            RequestedImage | None: the image; ``None`` if not requested.
        """
        return self._by_stem.get(stem)

    def by_index(self, index: int) -> Optional[RequestedImage]:
        """The requested image with this dataset index.

        Args:
            index: dataset index.

        Returns:
            RequestedImage | None: the image; ``None`` if not requested.
        """
        return self._by_index.get(int(index))

    def by_name(self, name: str) -> Optional[RequestedImage]:
        """The requested image with this name.

        Args:
            name: the image's path relative to the image root (``\\``
                separators are accepted).

        Returns:
            RequestedImage | None: the image; ``None`` if not requested.
        """
        return self._by_name.get(name.replace('\\', '/'))

    @property
    def total_cost(self) -> int:
        """Pixels (masks) or images asked in this round."""
        return int(sum(im.cost for im in self.images))

    def unit_map(self, stem: str) -> np.ndarray:
        """The unit map of a requested image (masks only; the last one read
        is cached).

        Args:
            stem: image stem.

        Returns:
            np.ndarray: ``int32 [H, W]``, 0 where nothing was asked, ``j``
            in the image's ``j``-th unit.

        Raises:
            RequestError: if the unit map is missing or of another size.
        """
        self._need_mask('unit_map')
        if stem not in self._maps:
            im = self._image(stem)
            path = osp.join(self.root, 'units', stem + '.png')
            raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if raw is None or raw.shape != (im.height, im.width):
                raise RequestError(
                    f'{path}: the unit map of {stem!r} (round {self.round}) '
                    f'is missing or not {im.height}x{im.width}')
            self._maps = {stem: raw.astype(np.int32)}  # keep one
        return self._maps[stem]

    def asked(self, stem: str) -> np.ndarray:
        """The pixels of ``stem`` asked in this round.

        Args:
            stem: image stem.

        Returns:
            np.ndarray: ``bool [H, W]``.
        """
        return self.unit_map(stem) > 0

    def predicted_map(self, stem: str) -> np.ndarray:
        """The model's class of every asked pixel (masks only).

        Args:
            stem: image stem.

        Returns:
            np.ndarray: ``uint8 [H, W]``, 255 elsewhere (and everywhere
            when the request has no predictions).
        """
        self._need_mask('predicted_map')
        im = self._image(stem)
        if not self.predictions:
            return np.full((im.height, im.width), IGNORE, np.uint8)
        if stem not in self._preds:
            path = osp.join(self.root, 'pred', stem + '.png')
            raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if raw is None or raw.shape != (im.height, im.width):
                raise RequestError(
                    f'{path}: the predictions of {stem!r} (round '
                    f'{self.round}) are missing or not '
                    f'{im.height}x{im.width}')
            self._preds = {stem: raw}
        return self._preds[stem]

    def _image(self, stem: str) -> RequestedImage:
        im = self._by_stem.get(stem)
        if im is None:
            raise RequestError(f'image {stem!r} is not in round '
                               f"{self.round}'s request")
        if self.root is None:
            raise RequestError('the request has not been saved or loaded')
        return im

    def _need_mask(self, what: str) -> None:
        if self.kind != 'mask':
            raise RequestError(f'{what}: round {self.round} asks for whole '
                               'images, not pixels')

    # ------------------------------------------------------------- disk
    def save(self,
             root: str,
             unit_maps: Optional[Dict[str, np.ndarray]] = None,
             pred_maps: Optional[Dict[str, np.ndarray]] = None) -> None:
        """Write the request to ``root`` (replacing one that is there).

        Written to a temporary folder beside ``root`` and renamed, so
        ``root`` holds a whole request or none.

        Args:
            root: the request folder.
            unit_maps: masks: ``{stem: int [H, W]}`` unit numbers (0 =
                not asked).
            pred_maps: masks, with predictions: ``{stem: uint8 [H, W]}``.
        """
        root = osp.abspath(root)
        parent = osp.dirname(root)
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix='.request.', dir=parent)
        try:
            if self.kind == 'mask':
                os.makedirs(osp.join(tmp, 'units'))
                if self.predictions:
                    os.makedirs(osp.join(tmp, 'pred'))
                for im in self.images:
                    units = np.asarray((unit_maps or {})[im.stem])
                    if units.shape != (im.height, im.width):
                        raise RequestError(
                            f'unit map of {im.stem!r} has shape '
                            f'{units.shape}, the image is '
                            f'{im.height}x{im.width}')
                    if int(units.max(initial=0)) > 65535:
                        raise RequestError(
                            f'{im.stem!r}: more than 65535 units in one '
                            'image')
                    _write_png(
                        osp.join(tmp, 'units', im.stem + '.png'),
                        units.astype(np.uint16))
                    if self.predictions:
                        pred = np.asarray((pred_maps or {})[im.stem])
                        _write_png(
                            osp.join(tmp, 'pred', im.stem + '.png'),
                            np.where(units > 0, pred, IGNORE).astype(np.uint8))
            atomic_write_json(osp.join(tmp, 'request.json'), self.to_dict())
            fsync_dir(tmp)
            if osp.exists(root):
                shutil.rmtree(root)
            os.rename(tmp, root)
            fsync_dir(parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.root = root
        self._maps, self._preds = {}, {}

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form of ``request.json``."""
        out = dict(format=_FORMAT)
        out.update((key, getattr(self, key)) for key in _FIELDS)
        out.update(
            cost=self.total_cost, images=[asdict(im) for im in self.images])
        return out

    @classmethod
    def load(cls, root: str) -> 'AnnotationRequest':
        """Read the request in ``root``.

        Args:
            root: the request folder (holding ``request.json``).

        Returns:
            AnnotationRequest: the request.

        Raises:
            RequestError: naming the file when there is no request.
        """
        path = osp.join(root, 'request.json')
        if not osp.isfile(path):
            raise RequestError(f'no annotation request at {path}')
        d = read_json(path)
        if d.get('format') != _FORMAT:
            raise RequestError(f'{path}: request format {d.get("format")!r}, '
                               f'this version reads {_FORMAT}')
        return cls(
            **{key: d[key]
               for key in _FIELDS},
            images=[RequestedImage(**im) for im in d['images']],
            root=osp.abspath(root))

    @classmethod
    def of_round(cls, work_dir: str, k: int) -> 'AnnotationRequest':
        """The request of round ``k`` of the run in ``work_dir``.

        Args:
            work_dir: the run directory.
            k: 1-based round.

        Returns:
            AnnotationRequest: the request.

        Raises:
            RequestError: if the round has no request.
        """
        root = request_dir(work_dir, k)
        if not osp.isfile(osp.join(root, 'request.json')):
            raise RequestError(
                f'round {k} of {work_dir} has no annotation request '
                f'({root}): it was not bought by a run with '
                "oracle=dict(type='HumanOracle'), or not bought yet")
        return cls.load(root)


def _write_png(path: str, arr: np.ndarray) -> None:
    ok, buf = cv2.imencode('.png', arr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise OSError(f'could not encode {path}')
    with open(path, 'wb') as f:
        f.write(buf.tobytes())
        f.flush()
        os.fsync(f.fileno())
