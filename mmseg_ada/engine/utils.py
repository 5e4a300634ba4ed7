"""Small helpers of the engine."""
from __future__ import annotations

from typing import List, Sequence, Tuple

__all__ = ['image_sizes']


def image_sizes(paths: Sequence[str]) -> List[Tuple[int, int]]:
    """``(H, W)`` of every image, read from the file headers.

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
