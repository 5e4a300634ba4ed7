"""Region maps of target images (SLIC superpixels or a square grid) and their
on-disk cache.

A region map is an integer ``[H, W]`` array at the image's full resolution
whose ids are contiguous ``0..R-1``.  SLIC is computed at a reduced working
resolution (``work_scale``) and upsampled with nearest neighbour, which cuts
its cost roughly by ``work_scale ** 2`` while keeping the ~40 regions per
image that ADeADA uses.

The cache stores one ``<stem>.png`` per image: a single-channel PNG, uint8
when the image has at most 256 regions and uint16 otherwise.  PNG was chosen
over ``.npz`` because a uint8 PNG of a 2048x1024 map decodes in ~4 ms and
encodes in ~20 ms here (a compressed ``.npz`` of the uint16 map: 7 ms and
26 ms, the uint16 PNG 10 ms and 35 ms), is ~20 KB, and opens in any image
viewer.  ``meta.json`` records the method and its parameters; a cache built
with other parameters is refused.
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from mmseg_ada.utils.io import atomic_write_bytes, atomic_write_json

__all__ = [
    'RegionCache', 'slic_regions', 'grid_regions', 'relabel_contiguous',
    'regions_to_mask', 'find_images', 'precompute_regions'
]

#: Parameters of each method and their defaults.
DEFAULT_PARAMS: Dict[str, Dict[str, Any]] = {
    'slic': dict(n_segments=60, compactness=10.0, work_scale=0.25),
    'grid': dict(cell_size=256),
}

_TOOL = 'tools/precompute_regions.py'
_CACHE_FORMAT = 1


def relabel_contiguous(region_map: np.ndarray) -> Tuple[np.ndarray, int]:
    """Renumber the ids of ``region_map`` to ``0..R-1`` (order kept).

    Args:
        region_map: non-negative integer ``[H, W]`` map.

    Returns:
        tuple: ``(int32 [H, W] relabelled map, R)``.
    """
    region_map = np.asarray(region_map)
    if region_map.size == 0:
        return region_map.astype(np.int32), 0
    if region_map.min() < 0:
        raise ValueError('region ids must be non-negative, got min '
                         f'{int(region_map.min())}')
    present = np.bincount(region_map.ravel().astype(np.int64)) > 0
    lut = np.cumsum(present) - 1
    return lut[region_map].astype(np.int32), int(present.sum())


def grid_regions(h: int, w: int, cell_size: int) -> np.ndarray:
    """Square regions of ``cell_size`` pixels, numbered row by row.

    The last row / column of cells is cut by the image border.

    Args:
        h: image height.
        w: image width.
        cell_size: side of a cell in pixels.

    Returns:
        np.ndarray: ``int32 [h, w]`` with ids ``0..ceil(h/c)*ceil(w/c)-1``.
    """
    if h <= 0 or w <= 0:
        raise ValueError(f'image size must be positive, got {h}x{w}')
    if cell_size <= 0:
        raise ValueError(f'cell_size must be positive, got {cell_size}')
    n_cols = -(-w // cell_size)
    rows = (np.arange(h, dtype=np.int32) // cell_size)[:, None]
    cols = (np.arange(w, dtype=np.int32) // cell_size)[None, :]
    return rows * n_cols + cols


def slic_regions(image: np.ndarray,
                 n_segments: int = 60,
                 compactness: float = 10.0,
                 work_scale: float = 0.25) -> np.ndarray:
    """SLIC superpixels of ``image`` at full resolution.

    The image is downsampled (area interpolation) by ``work_scale``,
    segmented with :func:`skimage.segmentation.slic` (``start_label=0``,
    connectivity enforced) and the labels are upsampled with nearest
    neighbour to the full size, then relabelled to ``0..R-1``.

    Args:
        image: ``uint8 [H, W, 3]`` RGB image (or ``[H, W]`` grey).
        n_segments: SLIC's requested number of segments.  On 2:1 street
            images skimage's seed grid plus connectivity enforcement give
            about 2/3 of it, so the default 60 yields the ~40 regions per
            image that ADeADA uses.
        compactness: SLIC compactness (higher = more square regions).
        work_scale: working resolution relative to the image (``<= 1``).

    Returns:
        np.ndarray: ``int32 [H, W]`` region ids ``0..R-1``.
    """
    from skimage.segmentation import slic

    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError('slic_regions expects an [H, W, 3] RGB or [H, W] '
                         f'image, got shape {image.shape}')
    if not 0 < work_scale <= 1:
        raise ValueError(f'work_scale must be in (0, 1], got {work_scale}')
    h, w = image.shape[:2]
    wh, ww = max(1, round(h * work_scale)), max(1, round(w * work_scale))
    small = image
    if (wh, ww) != (h, w):
        small = cv2.resize(image, (ww, wh), interpolation=cv2.INTER_AREA)
    labels = slic(
        small,
        n_segments=int(n_segments),
        compactness=float(compactness),
        start_label=0,
        channel_axis=-1 if small.ndim == 3 else None)
    labels, n = relabel_contiguous(labels)
    if (wh, ww) != (h, w):
        dtype = np.uint16 if n <= 65536 else np.int32
        labels = cv2.resize(
            labels.astype(dtype), (w, h),
            interpolation=cv2.INTER_NEAREST).astype(np.int32)
        if np.count_nonzero(np.bincount(labels.ravel(), minlength=n)) != n:
            labels, n = relabel_contiguous(labels)
    return labels


def regions_to_mask(region_map: np.ndarray,
                    region_ids: Iterable[int]) -> np.ndarray:
    """``bool [H, W]``: pixels whose region is one of ``region_ids``.

    Args:
        region_map: integer ``[H, W]`` region map.
        region_ids: ids of the wanted regions.

    Returns:
        np.ndarray: the mask.
    """
    region_map = np.asarray(region_map)
    if not isinstance(region_ids, np.ndarray):
        region_ids = list(region_ids)
    ids = np.asarray(region_ids, dtype=np.int64).ravel()
    n = int(region_map.max()) + 1 if region_map.size else 0
    lut = np.zeros(max(n, 1), dtype=bool)
    ids = ids[(ids >= 0) & (ids < n)]
    lut[ids] = True
    return lut[region_map]


def _read_rgb(path: str) -> np.ndarray:
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'unreadable or truncated image: {path}')
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _compute(method: str, params: Dict[str, Any],
             image: np.ndarray) -> np.ndarray:
    if method == 'slic':
        return slic_regions(image, **params)
    if method == 'grid':
        return grid_regions(image.shape[0], image.shape[1], **params)
    raise ValueError(f"unknown region method {method!r}; expected 'slic' or "
                     "'grid'")


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
        """The command line that builds this cache."""
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
        """Path of the region map of ``stem``."""
        if not stem or '/' in stem or '\\' in stem or stem.startswith('.'):
            raise ValueError(f'invalid image stem {stem!r}')
        return osp.join(self.cache_dir, stem + '.png')

    def has(self, stem: str) -> bool:
        """Whether the map of ``stem`` is in the cache."""
        return osp.isfile(self.path(stem))

    def stems(self) -> List[str]:
        """Sorted stems present in the cache."""
        names = glob.glob(osp.join(glob.escape(self.cache_dir), '*.png'))
        return sorted(
            osp.basename(n)[:-4] for n in names
            if not osp.basename(n).startswith('.'))

    def compute(self, image: np.ndarray) -> np.ndarray:
        """The region map of an RGB image with this cache's parameters."""
        return _compute(self.method, self.params, image)

    def save(self, stem: str, region_map: np.ndarray) -> None:
        """Store ``region_map`` (ids ``0..R-1``) for ``stem`` atomically."""
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
        ok, buf = cv2.imencode('.png', region_map.astype(dtype),
                               [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise OSError(f'could not encode the region map of {stem!r}')
        atomic_write_bytes(self.path(stem), buf.tobytes(), fsync=False)

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


_IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


def _has_magic(s: str) -> bool:
    return any(c in s for c in '*?[')


def find_images(source: Union[str, Sequence[str]],
                suffix: str = '') -> List[Tuple[str, str]]:
    """Find images and name them by stem.

    Args:
        source: a directory (searched recursively), a glob pattern
            (``**`` allowed), a single file, or a list of any of these.
        suffix: file-name ending that selects images in a directory and is
            cut off to form the stem (e.g. ``'_leftImg8bit.png'``).  Empty:
            common image extensions; the stem is the name without extension.

    Returns:
        list: sorted ``(stem, path)`` pairs.
    """
    sources = [source] if isinstance(source, (str, os.PathLike)) else source
    paths: List[str] = []
    for src in sources:
        src = os.fspath(src)
        if osp.isdir(src):
            found = glob.glob(
                osp.join(glob.escape(src), '**', '*'), recursive=True)
            found = [
                p for p in found
                if osp.isfile(p) and (p.endswith(suffix) if suffix else osp.
                                      splitext(p)[1].lower() in _IMAGE_EXTS)
            ]
        elif _has_magic(src):
            found = [
                p for p in glob.glob(src, recursive=True) if osp.isfile(p)
            ]
        elif osp.isfile(src):
            found = [src]
        else:
            raise FileNotFoundError(f'no such image directory or file: {src}')
        paths.extend(found)
    if not paths:
        raise FileNotFoundError(f'no images found in {source!r}' +
                                (f' ending with {suffix!r}' if suffix else ''))
    pairs: Dict[str, str] = {}
    for p in sorted(set(paths)):
        name = osp.basename(p)
        stem = (
            name[:-len(suffix)] if suffix and name.endswith(suffix)
            and len(name) > len(suffix) else osp.splitext(name)[0])
        if stem in pairs:
            raise ValueError(f'two images share the stem {stem!r}: '
                             f'{pairs[stem]} and {p}')
        pairs[stem] = p
    return sorted(pairs.items())


def _precompute_one(
        task: Tuple[str, str,
                    'RegionCache']) -> Tuple[str, Optional[int], str]:
    """``(stem, regions or None, reason)``: a bad image never stops a run."""
    stem, path, cache = task
    try:
        region_map = cache.compute(_read_rgb(path))
        cache.save(stem, region_map)
    except (OSError, ValueError, cv2.error) as e:
        return stem, None, f'{type(e).__name__}: {e}'
    return stem, int(region_map.max()) + 1, ''


#: the list of images whose region map could not be made, in a cache
BROKEN_LIST = 'broken_images.txt'


def precompute_regions(images: Union[Sequence[str], Sequence[Tuple[str, str]],
                                     Dict[str, str]],
                       cache: RegionCache,
                       nproc: int = 1,
                       suffix: str = '',
                       skip_existing: bool = True) -> Dict[str, Any]:
    """Compute and store the region maps of many images, in parallel.

    Resumable: images whose map is already cached are skipped (maps are
    written atomically, so an existing file is complete).

    Args:
        images: image paths (stems from :func:`find_images` rules with
            ``suffix``), ``(stem, path)`` pairs, or a ``{stem: path}`` dict.
        cache: where to store the maps (its ``meta.json`` is written first).
        nproc: worker processes (1 = in this process).
        suffix: see :func:`find_images`; only used for plain paths.
        skip_existing: skip images already in the cache.

    Returns:
        dict: ``total``, ``computed``, ``skipped``, ``broken`` (``(stem,
        path, reason)`` of the images that could not be read: listed, with
        the reason, in ``<cache>/broken_images.txt``; the others are still
        computed, as the dataset converters do) and the min / mean / max
        number of regions of the computed maps.
    """
    if isinstance(images, dict):
        pairs = sorted(images.items())
    else:
        images = list(images)
        if images and isinstance(images[0], (tuple, list)):
            pairs = [(str(s), str(p)) for s, p in images]
        else:
            pairs = find_images(images, suffix) if images else []
    stems = [s for s, _ in pairs]
    if len(set(stems)) != len(stems):
        raise ValueError('duplicate image stems in the precompute list')
    cache.write_meta()
    todo = [(s, p) for s, p in pairs if not (skip_existing and cache.has(s))]
    tasks = [(s, p, cache) for s, p in todo]
    results: List[Tuple[str, Optional[int], str]] = []
    if tasks:
        import mmengine
        if nproc > 1:
            # Forked workers.  Do not call cv2.setNumThreads() in them: after
            # the parent used OpenCV's thread pool that call deadlocks in a
            # forked child (seen here with opencv 5.0).
            results = mmengine.track_parallel_progress(
                _precompute_one, tasks, nproc=min(nproc, len(tasks)))
        else:
            results = mmengine.track_progress(_precompute_one, tasks)
    paths = dict(pairs)
    counts = [n for _, n, _ in results if n is not None]
    broken = [(s, paths[s], why) for s, n, why in results if n is None]
    broken_path = osp.join(cache.cache_dir, BROKEN_LIST)
    if broken:
        text = ''.join(f'{p}\t{why}\n' for _, p, why in broken)
        atomic_write_bytes(broken_path, text.encode('utf-8'))
    elif tasks and osp.isfile(broken_path):
        os.unlink(broken_path)  # every image retried now reads fine
    summary: Dict[str, Any] = dict(
        total=len(pairs),
        computed=len(counts),
        skipped=len(pairs) - len(tasks),
        broken=broken)
    if counts:
        summary.update(
            regions_min=int(min(counts)),
            regions_mean=float(np.mean(counts)),
            regions_max=int(max(counts)))
    return summary
