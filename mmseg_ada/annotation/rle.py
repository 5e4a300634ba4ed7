"""Run-length codecs of the masks of Label Studio and CVAT (pure numpy).

Label Studio brush RLE
    The ``rle`` list of a ``brushlabels`` result (``value: {format: 'rle',
    rle: [...], brushlabels: [...]}``).  It is the byte stream of
    thi.ng's ``rle-pack`` applied to the RGBA pixels of the mask, row-major,
    ``N = 4 * H * W`` 8-bit values (Label Studio reads the alpha channel,
    ``decode(rle).reshape(H, W, 4)[:, :, 3]``, nonzero = painted).  The bit
    stream, most significant bit first:

    * header: ``N`` (32 bits), word size - 1 (5 bits, 7 for 8-bit words),
      four run-length field sizes - 1 (4 bits each; 3, 4, 8, 16 bits, so
      ``2, 3, 7, 15``);
    * records until ``N`` values are out: 1 bit (1 = a run of one repeated
      value, 0 = literal values), the index of the size field (2 bits),
      ``count - 1`` in that many bits, then one word (run) or ``count`` words
      (literal);
    * zero bits up to a whole byte.

    :func:`ls_rle_encode` reproduces bit for bit what Label Studio's own
    encoder (``label_studio_sdk.converter.brush.mask2rle`` ->
    ``encode_rle``) writes for a 0/255 mask: runs of up to 8 values use the
    3-bit field, up to 16 the 4-bit one, up to 256 the 8-bit one, longer
    ones the 16-bit field, split into records of 65536 values while more
    than 65536 remain (the rest, however short, also in the 16-bit field);
    a value that stands alone is a literal record of one
    value (never happens for a mask: every pixel is 4 equal values); the
    padding is ``8 - len % 8`` zero bits, so a stream that ends on a byte
    boundary gets a whole zero byte more.  :func:`ls_rle_decode` reads any
    stream of the format (also the literal groups the Label Studio frontend
    writes).

CVAT mask RLE ("CVAT for images 1.1")
    ``<mask rle="..." left="" top="" width="" height="">``: the run lengths
    of the pixels of the box ``[left, left + width) x [top, top + height)``
    in row-major order, alternating background / foreground and starting
    with a background run, which is 0 when the first pixel is painted.  The
    exporter writes the box of CVAT's internal ``points`` (``rle + [left,
    top, right, bottom]``, right and bottom inclusive) as ``width = right -
    left + 1``, ``height = bottom - top + 1``, and the runs as ``", "``
    separated integers; CVAT's own masks use the tight bounding box of the
    painted pixels.
"""
from __future__ import annotations

import operator
import re
from typing import List, Sequence, Tuple

import numpy as np

__all__ = [
    'ls_rle_encode', 'ls_rle_decode', 'cvat_rle_encode', 'cvat_rle_decode',
    'parse_cvat_rle', 'format_cvat_rle'
]

# The header Label Studio writes: 8-bit words and run-length field sizes of
# 3, 4, 8 and 16 bits.
_LS_WORD_SIZE = 8
_LS_RLE_SIZES = (3, 4, 8, 16)
_LS_HEADER_BITS = 32 + 5 + 4 * 4
_LS_MAX_RECORD = 1 << 16
_CVAT_INT = re.compile(r'^[0-9]+$')


def _check_mask(mask: np.ndarray) -> np.ndarray:
    """``mask`` as an array, checked to be a non-empty 2-D bool/int one."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(
            f'mask must be a 2-D [H, W] array, got shape {mask.shape}')
    if mask.dtype.kind not in 'biu':
        raise ValueError(
            f'mask must be a bool or integer array, got dtype {mask.dtype}')
    if mask.size == 0:
        raise ValueError(f'mask is empty (shape {mask.shape})')
    return mask


def _check_dim(value: int, name: str) -> int:
    """``value`` as a positive int (``ValueError`` otherwise)."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f'{name} must be a positive int, got {value!r}')
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(
            f'{name} must be a positive int, got {value!r}') from None
    if value <= 0:
        raise ValueError(f'{name} must be a positive int, got {value}')
    return value


def _runs(flat: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Run lengths and values of a non-empty 1-D array."""
    starts = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts = np.concatenate(([0], starts))
    lengths = np.diff(np.append(starts, flat.size))
    return lengths, flat[starts]


def _ls_encode_runs(lengths: np.ndarray, values: np.ndarray,
                    num: int) -> List[int]:
    """Label Studio's bit stream of the runs ``(lengths, values)``.

    Args:
        lengths: run lengths (>= 1), summing to ``num``.
        values: the 8-bit value of each run.
        num: the number of values (the ``N`` of the header).

    Returns:
        list[int]: the stream as bytes 0..255.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    # Runs of up to 8 / 16 / 256 values take the 3 / 4 / 8-bit field.
    # Longer ones take the 16-bit field, in records of 65536 values while
    # more than 65536 remain: ceil(L / 65536) records, the last one holding
    # the rest, in the 16-bit field too however short it is.
    nrec = np.where(lengths > 256, -(-lengths // _LS_MAX_RECORD), 1)
    run_of = np.repeat(np.arange(lengths.size), nrec)
    count = np.full(run_of.size, _LS_MAX_RECORD, dtype=np.int64)
    last = np.cumsum(nrec) - 1
    count[last] = lengths - _LS_MAX_RECORD * (nrec - 1)
    value = values[run_of]
    idx = np.searchsorted(np.array([8, 16, 256]), lengths, side='left')
    idx = idx[run_of]
    nbits = np.array(_LS_RLE_SIZES, dtype=np.int64)[idx]
    # A lone value is a literal record of one word (flag 0, same layout).
    flag = (count > 1).astype(np.int64)
    reclen = 1 + 2 + nbits + _LS_WORD_SIZE
    rec = ((flag << (reclen - 1)) | (idx << (reclen - 3))
           | ((count - 1) << _LS_WORD_SIZE) | value)
    # Left-align each record (at most 27 bits) in a 32-bit big-endian word
    # and keep its first `reclen` bits: the records' bits, in order.
    words = (rec << (32 - reclen)).astype('>u4')
    bits = np.unpackbits(words.view(np.uint8).reshape(-1, 4), axis=1)
    body = bits[np.arange(32) < reclen[:, None]]
    header = ((num << 21) | ((_LS_WORD_SIZE - 1) << 16)
              | sum((s - 1) << (12 - 4 * k)
                    for k, s in enumerate(_LS_RLE_SIZES)))
    head = np.unpackbits(
        np.frombuffer(header.to_bytes(8, 'big'), dtype=np.uint8))
    head = head[-_LS_HEADER_BITS:]
    total = _LS_HEADER_BITS + body.size
    pad = np.zeros(8 - total % 8, dtype=np.uint8)  # 1..8 bits, as LS does
    return np.packbits(np.concatenate((head, body, pad))).tolist()


def ls_rle_encode(mask: np.ndarray) -> List[int]:
    """Encode a mask as the ``rle`` of a Label Studio ``brushlabels`` result.

    The same list of ints as Label Studio's own
    ``label_studio_sdk.converter.brush.mask2rle`` of the 0/255 mask: each
    pixel becomes 4 RGBA values (0 or 255), run-length packed as described
    in the module docstring.

    Args:
        mask (np.ndarray): ``[H, W]`` bool or integer array, nonzero =
            painted.

    Returns:
        list[int]: the bytes 0..255 of the stream.

    Raises:
        ValueError: if ``mask`` is not a non-empty 2-D bool or integer array
            or has too many pixels for the 32-bit header
            (``4 * H * W >= 2**32``).
    """
    mask = _check_mask(mask)
    num = 4 * mask.size
    if num >= 1 << 32:
        raise ValueError(
            f'a {mask.shape[0]}x{mask.shape[1]} mask has 4*H*W = {num} '
            'values, more than the 32-bit header of the format can hold')
    lengths, painted = _runs(mask.ravel() != 0)
    return _ls_encode_runs(4 * lengths, np.where(painted, 255, 0), num)


def _flat_array(rle: Sequence[int], what: str) -> np.ndarray:
    """``rle`` as a 1-D array, or a ValueError saying it must be a list of
    ``what``."""
    try:
        arr = np.asarray(rle)
    except (TypeError, ValueError) as err:
        raise ValueError(f'rle must be a list of {what} ({err})') from None
    if arr.ndim != 1:
        raise ValueError(f'rle must be a flat list of {what}, got an array '
                         f'of shape {arr.shape}')
    return arr


def _ls_bytes(rle: Sequence[int]) -> np.ndarray:
    """``rle`` as a 1-D uint8 array, checked to be ints 0..255."""
    if isinstance(rle, (bytes, bytearray)):
        return np.frombuffer(bytes(rle), dtype=np.uint8)
    if isinstance(rle, str):
        raise ValueError('rle must be a list of ints 0..255, got a str')
    arr = _flat_array(rle, 'ints 0..255')
    if arr.size == 0:
        raise ValueError('rle is empty: a Label Studio brush RLE has at '
                         'least a 7-byte header')
    if arr.dtype.kind not in 'iu':
        bad = next(
            (i for i, v in enumerate(rle)
             if isinstance(v, bool) or not isinstance(v, (int, np.integer))),
            None)
        where = (f': item {bad} is {rle[bad]!r}'
                 if bad is not None else f' (dtype {arr.dtype})')
        raise ValueError(f'rle must be a list of ints 0..255{where}')
    out_of_range = np.flatnonzero((arr < 0) | (arr > 255))
    if out_of_range.size:
        i = int(out_of_range[0])
        raise ValueError(f'rle must be a list of ints 0..255: item {i} is '
                         f'{int(arr[i])}')
    return arr.astype(np.uint8)


def ls_rle_decode(rle: Sequence[int], height: int, width: int) -> np.ndarray:
    """Decode the ``rle`` of a Label Studio ``brushlabels`` result.

    Reads the whole stream (runs and literal records, any run-length field
    sizes) and takes the alpha channel, as Label Studio does:
    ``decode(rle).reshape(H, W, 4)[:, :, 3]``, nonzero = painted.

    Args:
        rle (Sequence[int]): the bytes 0..255 of the stream (a list, a 1-D
            integer array, or ``bytes``).
        height (int): the ``original_height`` of the image.
        width (int): the ``original_width`` of the image.

    Returns:
        np.ndarray: ``[height, width]`` bool mask.

    Raises:
        ValueError: if ``rle`` is not a list of ints 0..255, is shorter
            than the header, declares a number of values other than
            ``4 * height * width`` or a word size other than 8, ends inside
            a record, has a record that runs past the declared number of
            values, or has nonzero bits after the last record; or if
            ``height`` / ``width`` is not a positive int.
    """
    data = _ls_bytes(rle)
    height = _check_dim(height, 'height')
    width = _check_dim(width, 'width')
    total_bits = 8 * data.size
    if total_bits < _LS_HEADER_BITS:
        raise ValueError(
            f'rle has {data.size} bytes, too short for the 53-bit header '
            '(7 bytes at least)')
    buf = data.tobytes() + bytes(8)  # room for reads of 5 bytes past the end
    num = int.from_bytes(buf[:4], 'big')
    expected = 4 * height * width
    if num != expected:
        raise ValueError(
            f'the rle header declares N = {num} values, but a {height}x'
            f'{width} mask needs 4*H*W = {expected}')
    fields = int.from_bytes(buf[4:7], 'big') >> 3  # bits 32..52
    word_size = (fields >> 16) + 1
    if word_size != _LS_WORD_SIZE:
        raise ValueError(f'the rle header declares a word size of '
                         f'{word_size} bits; Label Studio masks use 8')
    sizes = [((fields >> (12 - 4 * k)) & 15) + 1 for k in range(4)]
    masks = [(1 << s) - 1 for s in sizes]

    run_values: List[int] = []
    run_counts: List[int] = []
    pos = _LS_HEADER_BITS
    done = 0
    record = 0
    while done < num:
        byte = pos >> 3
        # 40 bits from the byte holding `pos`: `avail` of them from `pos`,
        # enough for a record header (<= 19 bits) and a word.
        window = int.from_bytes(buf[byte:byte + 5], 'big')
        avail = 40 - (pos & 7)
        is_run = (window >> (avail - 1)) & 1
        idx = (window >> (avail - 3)) & 3
        nbits = sizes[idx]
        count = ((window >> (avail - 3 - nbits)) & masks[idx]) + 1
        start = pos + 3 + nbits
        end = start + (8 if is_run else 8 * count)
        if end > total_bits:
            raise ValueError(
                f'the rle stream ends inside record {record} (bits {pos}..'
                f'{end - 1} of a {total_bits}-bit stream), after {done} of '
                f'the {num} values')
        if done + count > num:
            raise ValueError(
                f'record {record} (at bit {pos}) holds {count} values, past '
                f'the N = {num} values the header declares ({done} done)')
        if is_run:
            run_values.append((window >> (avail - 11 - nbits)) & 0xff)
            run_counts.append(count)
        else:
            first = start >> 3
            shift = 8 - (start & 7)
            chunk = int.from_bytes(buf[first:first + count + 1], 'big')
            words = ((chunk >> shift) & ((1 << (8 * count)) - 1)).to_bytes(
                count, 'big')
            run_values.extend(words)
            run_counts.extend([1] * count)
        done += count
        pos = end
        record += 1
    if pos < total_bits:
        tail = data[pos >> 3:].copy()
        tail[0] &= (1 << (8 - (pos & 7))) - 1
        if tail.any():
            raise ValueError(
                f'the rle stream has nonzero bits after its last record '
                f'(bit {pos} of {total_bits}): more data than the N = {num} '
                'values the header declares')
    values = np.repeat(
        np.array(run_values, dtype=np.uint8),
        np.array(run_counts, dtype=np.int64))
    return values[3::4].reshape(height, width) != 0


def _cvat_runs(rle: Sequence[int]) -> np.ndarray:
    """CVAT run lengths as an int64 array, checked to be ints >= 0."""
    if isinstance(rle, (str, bytes, bytearray)):
        raise ValueError('rle must be a list of non-negative ints, got '
                         f'{type(rle).__name__}; use parse_cvat_rle() for '
                         'the XML attribute')
    arr = _flat_array(rle, 'non-negative ints')
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind == 'f':
        # CVAT's API gives the runs as floats ("points"); whole ones are ok.
        bad = np.flatnonzero(~np.isfinite(arr) | (arr != np.round(arr)))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f'rle must be a list of non-negative ints: run '
                             f'{i} is {float(arr[i])!r}')
    elif arr.dtype.kind not in 'iu':
        raise ValueError('rle must be a list of non-negative ints, got '
                         f'items of dtype {arr.dtype}')
    negative = np.flatnonzero(arr < 0)
    if negative.size:
        i = int(negative[0])
        raise ValueError(f'rle must be a list of non-negative ints: run {i} '
                         f'is negative ({arr[i].item()})')
    return arr.astype(np.int64)


def cvat_rle_encode(mask: np.ndarray) -> Tuple[List[int], int, int, int, int]:
    """Encode a mask as a CVAT ``<mask>`` (tight box, row-major runs).

    The same runs and box as CVAT's own encoders (``cvat_sdk.masks.
    encode_mask(bitmap)`` without a bbox; the server's
    ``MaskConverter.dm_mask_to_cvat_rle``): the tight bounding box of the
    painted pixels, its pixels row by row, runs alternating background /
    foreground from a background run (0 when the box's first pixel is
    painted).

    Args:
        mask (np.ndarray): ``[H, W]`` bool or integer array, nonzero =
            painted.

    Returns:
        tuple: ``(rle, left, top, width, height)``; ``rle`` a list of ints
        summing to ``width * height``.

    Raises:
        ValueError: if ``mask`` is not a 2-D bool or integer array or has
            no painted pixel (CVAT has no empty mask shape).
    """
    mask = _check_mask(mask) != 0
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        raise ValueError('mask has no painted pixel: CVAT cannot store an '
                         'empty mask')
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom = int(rows[0]), int(rows[-1])
    left, right = int(cols[0]), int(cols[-1])
    flat = mask[top:bottom + 1, left:right + 1].ravel()
    lengths, values = _runs(flat)
    rle = lengths.tolist()
    if values[0]:
        rle.insert(0, 0)
    return rle, left, top, right - left + 1, bottom - top + 1


def cvat_rle_decode(rle: Sequence[int], left: int, top: int, width: int,
                    height: int, image_height: int,
                    image_width: int) -> np.ndarray:
    """Decode a CVAT ``<mask>`` into a full-image mask.

    Args:
        rle (Sequence[int]): run lengths (background first), e.g. from
            :func:`parse_cvat_rle`; whole floats (CVAT's API ``points``)
            are accepted.
        left (int): the ``left`` attribute (first column of the box).
        top (int): the ``top`` attribute (first row of the box).
        width (int): the ``width`` attribute (columns of the box).
        height (int): the ``height`` attribute (rows of the box).
        image_height (int): rows of the image.
        image_width (int): columns of the image.

    Returns:
        np.ndarray: ``[image_height, image_width]`` bool mask.

    Raises:
        ValueError: if a run is negative or not an integer, the runs do not
            sum to ``width * height``, the box is not inside the image, or a
            size is not a positive int.
    """
    runs = _cvat_runs(rle)
    image_height = _check_dim(image_height, 'image_height')
    image_width = _check_dim(image_width, 'image_width')
    width = _check_dim(width, 'width')
    height = _check_dim(height, 'height')
    try:
        left, top = operator.index(left), operator.index(top)
    except TypeError:
        raise ValueError(
            f'left and top must be ints, got {left!r}, {top!r}') from None
    if (left < 0 or top < 0 or left + width > image_width
            or top + height > image_height):
        raise ValueError(
            f'the box left={left}, top={top}, width={width}, height={height} '
            f'(columns {left}..{left + width - 1}, rows {top}..'
            f'{top + height - 1}) is not inside the {image_height}x'
            f'{image_width} image')
    total = int(runs.sum())
    if total != width * height:
        raise ValueError(
            f'the {runs.size} runs sum to {total}, but the {width}x{height} '
            f'box has width*height = {width * height} pixels')
    painted = (np.arange(runs.size) & 1).astype(bool)
    out = np.zeros((image_height, image_width), dtype=bool)
    box = np.repeat(painted, runs).reshape(height, width)
    out[top:top + height, left:left + width] = box
    return out


def parse_cvat_rle(text: str) -> List[int]:
    """Parse the ``rle`` attribute of a CVAT ``<mask>``.

    Args:
        text (str): comma-separated run lengths, with or without spaces
            (CVAT writes ``"12, 5, 3"``).

    Returns:
        list[int]: the run lengths.

    Raises:
        ValueError: if ``text`` is not a str, is empty, or an item is not a
            non-negative decimal integer.
    """
    if not isinstance(text, str):
        raise ValueError(
            f'the rle attribute must be a str, got {type(text).__name__}')
    if not text.strip():
        raise ValueError('the rle attribute is empty')
    out = []
    for i, item in enumerate(text.split(',')):
        item = item.strip()
        if not _CVAT_INT.match(item):
            raise ValueError(f'item {i} of the rle attribute ({item!r}) is '
                             'not a non-negative integer')
        out.append(int(item))
    return out


def format_cvat_rle(rle: Sequence[int]) -> str:
    """Format run lengths as CVAT writes the ``rle`` attribute.

    CVAT's exporter writes ``str(list_of_ints)[1:-1]``, i.e. items
    separated by ``", "``.

    Args:
        rle (Sequence[int]): non-negative run lengths (whole floats are
            accepted).

    Returns:
        str: e.g. ``"0, 3, 2"``.

    Raises:
        ValueError: if a run is negative or not an integer.
    """
    return ', '.join(str(v) for v in _cvat_runs(rle).tolist())
