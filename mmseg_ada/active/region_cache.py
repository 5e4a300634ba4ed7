"""The on-disk cache of region maps, one PNG per image.

The cache stores one ``<stem>.png`` per image: a single-channel PNG, uint8
when the image has at most 256 regions and uint16 otherwise.  PNG was chosen
over ``.npz`` because a uint8 PNG of a 2048x1024 map decodes in ~4 ms and
encodes in ~20 ms here (a compressed ``.npz`` of the uint16 map: 7 ms and
26 ms, the uint16 PNG 10 ms and 35 ms), is ~20 KB, and opens in any image
viewer.  ``meta.json`` records the method and its parameters; a cache built
with other parameters is refused.

Where it lives: the maps are computed by :mod:`mmseg_ada.active.regions`
(pure algorithms) and the batch precompute is ``tools/precompute_regions.py``;
this module holds only the storage format.  It stays in ``active/``, beside
the label stores (:mod:`mmseg_ada.active.stores`, also files on disk),
because its reader is :class:`~mmseg_ada.active.units.RegionUnits`: the
active core imports no other package of ``mmseg_ada`` than
:mod:`mmseg_ada.registry` and :mod:`mmseg_ada.utils`, and
:mod:`mmseg_ada.datasets` (the other natural home) imports the active core,
so a cache there would make the two packages import each other.
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import cv2
import numpy as np

from mmseg_ada.utils.io import (atomic_write_bytes, atomic_write_json,
                                encode_label_png)
from .regions import DEFAULT_PARAMS, compute_regions

__all__ = ['RegionCache']

_TOOL = 'tools/precompute_regions.py'
_CACHE_FORMAT = 1


class RegionCache:
    """A directory of precomputed region maps, one ``<stem>.png`` each.

    Args:
        cache_dir: the cache directory.
        method: ``'slic'`` or ``'grid'``.
        **params: parameters of the method (see :data:`DEFAULT_PARAMS`;
            missing ones take the defaults).  If ``cache_dir/meta.json``
            exists they must match it, else ``ValueError``.
    """

    def __init__(self,
                 cache_dir: str,
                 method: str = 'slic',
                 **params: Any) -> None:
        if method not in DEFAULT_PARAMS:
            raise ValueError(f"unknown region method {method!r}; expected "
                             f'one of {sorted(DEFAULT_PARAMS)}')
        unknown = sorted(set(params) - set(DEFAULT_PARAMS[method]))
        if unknown:
            raise ValueError(
                f'unknown parameters {unknown} for region method {method!r}; '
                f'allowed: {sorted(DEFAULT_PARAMS[method])}')
        full = dict(DEFAULT_PARAMS[method])
        full.update(params)
        self.cache_dir = os.fspath(cache_dir)
        self.method = method
        self.params: Dict[str, Any] = json.loads(json.dumps(full))
        self.meta_path = osp.join(self.cache_dir, 'meta.json')
        if osp.isfile(self.meta_path):
            self._check_meta()

    @classmethod
    def open(cls, cache_dir: str) -> 'RegionCache':
        """Open an existing cache with the parameters in its ``meta.json``.

        Args:
            cache_dir: the cache directory.

        Returns:
            RegionCache: the cache.
        """
        meta_path = osp.join(os.fspath(cache_dir), 'meta.json')
        if not osp.isfile(meta_path):
            raise FileNotFoundError(
                f'{cache_dir} is not a region cache (no meta.json); build it '
                f'with: python {_TOOL} IMG_DIR --out {cache_dir}')
        meta = cls._read_meta(meta_path)
        return cls(cache_dir, meta['method'], **meta['params'])

    @staticmethod
    def _read_meta(meta_path: str) -> Dict[str, Any]:
        with open(meta_path, 'r', encoding='utf-8') as f:
            meta = json.load(f)
        if not isinstance(meta, dict) or 'method' not in meta \
                or 'params' not in meta:
            raise ValueError(f'{meta_path} is not a region cache meta file '
                             "(expected the keys 'method' and 'params')")
        return meta

    def _check_meta(self) -> None:
        meta = self._read_meta(self.meta_path)
        diffs = []
        if meta['method'] != self.method:
            diffs.append(f"method is {meta['method']!r} in the cache but "
                         f'{self.method!r} was asked for')
        for key in sorted(set(meta['params']) | set(self.params)):
            have, want = meta['params'].get(key), self.params.get(key)
            if have != want:
                diffs.append(f'{key} is {have!r} in the cache but {want!r} '
                             'was asked for')
        if diffs:
            raise ValueError(
                f'region cache {self.cache_dir} was built with other '
                'parameters: ' + '; '.join(diffs) + '. Rebuild it with: ' +
                self.tool_command() + ' (into a new directory), or ask '
                'for the parameters in ' + self.meta_path)

    def tool_command(self, image_src: str = 'IMG_DIR') -> str:
        """The command line that builds this cache.

        Args:
            image_src: the image directory argument to print.

        Returns:
            str: a ``tools/precompute_regions.py`` call with this cache's
            directory, method and parameters.
        """
        args = [
            f'python {_TOOL} {image_src} --out {self.cache_dir}',
            f'--method {self.method}'
        ]
        for key, value in self.params.items():
            args.append(f"--{key.replace('_', '-')} {value}")
        return ' '.join(args)

    def write_meta(self) -> None:
        """Create the directory and ``meta.json`` (if absent)."""
        os.makedirs(self.cache_dir, exist_ok=True)
        if osp.isfile(self.meta_path):
            self._check_meta()
            return
        atomic_write_json(
            self.meta_path,
            dict(format=_CACHE_FORMAT, method=self.method, params=self.params))

    def path(self, stem: str) -> str:
        """Path of the region map of ``stem``.

        Args:
            stem: image stem (no directory separators, no leading dot).

        Returns:
            str: ``<cache_dir>/<stem>.png``.

        Raises:
            ValueError: if ``stem`` is invalid.
        """
        if not stem or '/' in stem or '\\' in stem or stem.startswith('.'):
            raise ValueError(f'invalid image stem {stem!r}')
        return osp.join(self.cache_dir, stem + '.png')

    def has(self, stem: str) -> bool:
        """Whether the map of ``stem`` is in the cache.

        Args:
            stem: image stem.

        Returns:
            bool: whether :meth:`path` is a file.
        """
        return osp.isfile(self.path(stem))

    def stems(self) -> List[str]:
        """Sorted stems present in the cache."""
        names = glob.glob(osp.join(glob.escape(self.cache_dir), '*.png'))
        return sorted(
            osp.basename(n)[:-4] for n in names
            if not osp.basename(n).startswith('.'))

    def compute(self, image: np.ndarray) -> np.ndarray:
        """The region map of an RGB image with this cache's parameters.

        Args:
            image: ``uint8 [H, W, 3]`` RGB image.

        Returns:
            np.ndarray: ``int32 [H, W]`` region ids ``0..R-1`` (see
            :func:`~mmseg_ada.active.regions.compute_regions`).
        """
        return compute_regions(self.method, self.params, image)

    def save(self, stem: str, region_map: np.ndarray) -> int:
        """Store ``region_map`` (ids ``0..R-1``) for ``stem`` atomically.

        Args:
            stem: image stem (the file is ``<cache_dir>/<stem>.png``).
            region_map: ``[H, W]`` non-negative integer region ids.

        Returns:
            int: the number of regions ``R`` (largest id + 1).
        """
        region_map = np.asarray(region_map)
        if region_map.ndim != 2:
            raise ValueError(f'region map of {stem!r} must be [H, W], got '
                             f'shape {region_map.shape}')
        n = int(region_map.max()) + 1 if region_map.size else 0
        if region_map.size and region_map.min() < 0:
            raise ValueError(f'region map of {stem!r} has negative ids')
        if n > 65536:
            raise ValueError(f'region map of {stem!r} has {n} regions; at '
                             'most 65536 fit the cache format')
        dtype = np.uint8 if n <= 256 else np.uint16
        try:
            buf = encode_label_png(region_map.astype(dtype, copy=False))
        except OSError:
            raise OSError(
                f'could not encode the region map of {stem!r}') from None
        atomic_write_bytes(self.path(stem), buf, fsync=False)
        return n

    def load(self,
             stem: str,
             shape: Optional[Sequence[int]] = None) -> np.ndarray:
        """The region map of ``stem``.

        Args:
            stem: image stem.
            shape: optional ``(H, W)`` the map must have.

        Returns:
            np.ndarray: ``int32 [H, W]`` region ids ``0..R-1``.
        """
        path = self.path(stem)
        if not osp.isfile(self.meta_path):
            raise FileNotFoundError(
                f'region cache {self.cache_dir} does not exist (no '
                f'meta.json); build it with: {self.tool_command()}')
        region_map = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if region_map is None:
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'no region map for image {stem!r} in {self.cache_dir} '
                    f'(expected {path}); build or complete the cache with: ' +
                    self.tool_command())
            raise ValueError(f'{path} is not a readable PNG region map')
        if region_map.ndim != 2:
            raise ValueError(f'{path} must be a single-channel region map, '
                             f'got shape {region_map.shape}')
        if shape is not None and tuple(region_map.shape) != tuple(
                int(s) for s in shape[:2]):
            raise ValueError(
                f'{path} has shape {region_map.shape}, but the image '
                f'{stem!r} has shape {tuple(shape[:2])}')
        return region_map.astype(np.int32)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}({self.cache_dir!r}, '
                f'method={self.method!r}, params={self.params})')
