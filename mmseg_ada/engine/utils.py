"""Small helpers of the engine."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from mmengine.dist import all_gather_object, get_world_size

__all__ = ['find_datasets', 'gather_by_index', 'image_sizes']


def find_datasets(obj: Any, cls: type) -> List[Any]:
    """Every ``cls`` inside a (wrapped, multi-stream) dataset object, found
    through ``streams`` and ``dataset`` attributes (not inside a match).

    Args:
        obj: the dataset (or wrapper).
        cls: the dataset class to find.

    Returns:
        list: the matches, depth first (streams before ``dataset``).
    """
    if isinstance(obj, cls):
        return [obj]
    out = []
    for child in list(getattr(obj, 'streams',
                              {}).values()) + [getattr(obj, 'dataset', None)]:
        if child is not None and child is not obj:
            out += find_datasets(child, cls)
    return out


def gather_by_index(parts: Dict[int, Any]) -> Dict[int, Any]:
    """Merge every rank's ``{image_index: value}`` (on every rank).

    Args:
        parts: this rank's values by image index.

    Returns:
        dict: every rank's values, sorted by index (a later rank wins a
        duplicate index).
    """
    if get_world_size() > 1:
        merged: Dict[int, Any] = {}
        for rank_parts in all_gather_object(parts):
            merged.update(rank_parts)
        parts = merged
    return dict(sorted(parts.items()))


def image_sizes(paths: Sequence[str]) -> List[Tuple[int, int]]:
    """``(H, W)`` of every image, read from the file headers.

    Args:
        paths: the image files.

    Returns:
        list[tuple[int, int]]: ``(H, W)`` per path, in order.

    Raises:
        FileNotFoundError: naming the first image that cannot be read.
    """
    from PIL import Image
    out = []
    for p in paths:
        try:
            with Image.open(p) as im:
                w, h = im.size
        except OSError as e:
            raise FileNotFoundError(f'cannot read the image {p}: {e}') from e
        out.append((int(h), int(w)))
    return out
