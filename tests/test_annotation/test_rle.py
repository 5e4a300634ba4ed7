"""Tests of the Label Studio / CVAT mask codecs (mmseg_ada.annotation.rle).

The cross-checks run Label Studio's own codec
(``label_studio_sdk.converter.brush``) in the separate Label Studio
environment, found as ``$MMSEG_ADA_LS_PYTHON`` or
``<repo>/.venv-labelstudio/bin/python`` (see
``scripts/install_label_studio.sh``), and ``cvat_sdk.masks`` when it is
importable here.
"""
import json
import os
import os.path as osp
import subprocess

import numpy as np
import pytest

from mmseg_ada.annotation.rle import (cvat_rle_decode, cvat_rle_encode,
                                      format_cvat_rle, ls_rle_decode,
                                      ls_rle_encode, parse_cvat_rle)
from tests.utils import REPO

# The header every Label Studio stream starts with after its 32-bit N:
# word size - 1 = 7 (00111), rle sizes - 1 = 2, 3, 7, 15 (0010 0011 0111
# 1111): 21 bits, '001110010001101111111'.
LS_HEADER_TAIL = '001110010001101111111'


def _bits_to_bytes(bits):
    """Bytes of a '0'/'1' string, zero-padded to whole bytes."""
    bits = bits + '0' * (-len(bits) % 8)
    return [int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)]


def _ls_stream(num, records, sizes=(3, 4, 8, 16), word_size=8):
    """A hand-made Label Studio stream: ``records`` of (is_run, idx, words).

    ``words`` is the list of values of a literal record or ``(count,
    value)`` for a run.
    """
    bits = f'{num:032b}{word_size - 1:05b}'
    bits += ''.join(f'{s - 1:04b}' for s in sizes)
    for is_run, idx, words in records:
        if is_run:
            count, value = words
            bits += f'1{idx:02b}{count - 1:0{sizes[idx]}b}{value:08b}'
        else:
            bits += f'0{idx:02b}{len(words) - 1:0{sizes[idx]}b}'
            bits += ''.join(f'{v:08b}' for v in words)
    return _bits_to_bytes(bits)


def _random_masks():
    rng = np.random.default_rng(0)
    masks = []
    for shape in [(1, 1), (1, 2), (2, 3), (3, 1), (5, 7), (17, 33), (31, 64),
                  (64, 31), (128, 128)]:
        masks.append(rng.random(shape) < 0.3)
        masks.append(rng.random(shape) < 0.9)
        masks.append(np.zeros(shape, dtype=bool))
        masks.append(np.ones(shape, dtype=bool))
        single = np.zeros(shape, dtype=bool)
        single[shape[0] // 2, shape[1] - 1] = True
        masks.append(single)
        rect = np.zeros(shape, dtype=bool)
        rect[shape[0] // 3:shape[0] // 2 + 1, shape[1] // 4:] = True
        masks.append(rect)
    # Runs around the record size limits of the format: 4 values a pixel,
    # 8 / 16 / 256 / 65536 values a record.
    for pixels in (2, 3, 4, 5, 64, 65, 16384, 16385, 32768, 40000):
        masks.append(np.ones((1, pixels), dtype=bool))
        row = np.zeros((1, pixels + 2), dtype=bool)
        row[0, 1:-1] = True
        masks.append(row)
    masks.append(np.ones((200, 400), dtype=bool))
    return masks


# --------------------------------------------------------- Label Studio


def test_ls_encode_hand_computed():
    # 1x1 painted: RGBA = 4 x 255, one run of 4.
    #   N = 4: 00000000 00000000 00000000 00000100
    #   header tail (21 bits), then the run record: 1 (run), 00 (3-bit
    #   field), 011 (count - 1 = 3), 11111111 (255): 14 bits; 53 + 14 = 67
    #   bits, padded with 8 - 67 % 8 = 5 zeros to 72 bits:
    #   00111001 00011011 11111100 01111111 11100000
    expected = [0, 0, 0, 4, 57, 27, 252, 127, 224]
    assert ls_rle_encode(np.array([[1]])) == expected
    # 1x3 [0, 1, 1]: N = 12; runs of 4 x 0 (1 00 011 00000000) and 8 x 255
    # (1 00 111 11111111); 53 + 28 = 81 bits + 7 zeros:
    #   00111001 00011011 11111100 01100000 00010011 11111111 10000000
    assert ls_rle_encode(np.array([[0, 1, 1]], dtype=np.uint8)) == [
        0, 0, 0, 12, 57, 27, 252, 96, 19, 255, 128
    ]
    # 1x5 painted: N = 20; one run of 20 in the 8-bit field (1 10 00010011
    # 11111111, 19 bits): 53 + 19 = 72 bits, a whole number of bytes, and
    # Label Studio still pads 8 - 72 % 8 = 8 zero bits (a zero byte):
    #   00111001 00011011 11111110 00010011 11111111 00000000
    expected = [0, 0, 0, 20, 57, 27, 254, 19, 255, 0]
    assert ls_rle_encode(np.ones((1, 5), dtype=bool)) == expected
    # The bit strings above, built by the test helper.
    assert _ls_stream(12, [(1, 0, (4, 0)), (1, 0, (8, 255))]) == [
        0, 0, 0, 12, 57, 27, 252, 96, 19, 255, 128
    ]
    # 64 pixels = a run of 256 values: the 8-bit field (count - 1 = 255),
    # 53 + 19 = 72 bits, so again a zero byte more; 65 pixels = 260 values:
    # the 16-bit field, 53 + 27 = 80 bits, a zero byte more.
    expected = _ls_stream(256, [(1, 2, (256, 255))]) + [0]
    assert ls_rle_encode(np.ones((8, 8), dtype=bool)) == expected
    expected = _ls_stream(260, [(1, 3, (260, 255))]) + [0]
    assert ls_rle_encode(np.ones((5, 13), dtype=bool)) == expected
    # 16385 pixels = 65540 values: records of 65536 and of the rest (4),
    # the rest in the 16-bit field too (as Label Studio writes it); 53 + 2
    # x 27 = 107 bits + 5 zeros.
    expected = _ls_stream(65540, [(1, 3, (65536, 255)), (1, 3, (4, 255))])
    assert ls_rle_encode(np.ones((1, 16385), dtype=bool)) == expected


def test_ls_round_trip():
    for mask in _random_masks():
        rle = ls_rle_encode(mask)
        assert all(isinstance(v, int) and 0 <= v <= 255 for v in rle)
        out = ls_rle_decode(rle, *mask.shape)
        assert out.dtype == bool and out.shape == mask.shape
        np.testing.assert_array_equal(out, mask)
    # uint8 0/1, 0/255 and other nonzero values all mean "painted"
    mask = np.array([[0, 1, 255], [7, 0, 0]], dtype=np.uint8)
    assert ls_rle_encode(mask) == ls_rle_encode(mask != 0)
    # numpy arrays and bytes are accepted as the stream
    rle = ls_rle_encode(mask)
    for form in (np.array(rle), bytes(rle), tuple(rle)):
        np.testing.assert_array_equal(ls_rle_decode(form, 2, 3), mask != 0)


def _hand_streams():
    """Hand-made streams ``(rle, height, width, expected mask)``."""
    out = []
    # Literal records (the Label Studio frontend writes them): 2 pixels,
    # RGBA (10, 20, 30, 0) then (1, 2, 3, 255): only alpha counts.
    rle = _ls_stream(8, [(0, 0, [10, 20, 30, 0, 1, 2, 3, 255])])
    out.append((rle, 1, 2, [[False, True]]))
    # mixed runs and literals, literal values not byte-aligned
    rle = _ls_stream(12, [(1, 1, (3, 0)), (0, 0, [0, 9]), (1, 0, (3, 0)),
                          (0, 1, [4, 4, 4, 200])])
    out.append((rle, 1, 3, [[False, False, True]]))
    # a literal of 300 values (16-bit count field) after an odd run
    vals = [(7 * i) % 256 for i in range(300)]
    rle = _ls_stream(304, [(1, 0, (4, 0)), (0, 3, vals)])
    expected = np.array([0] + vals[3::4]).reshape(4, 19) != 0
    out.append((rle, 4, 19, expected))
    # other run-length field sizes in the header (1, 2, 5, 12 bits)
    rle = _ls_stream(16, [(1, 2, (16, 0))], sizes=(1, 2, 5, 12))
    out.append((rle, 2, 2, np.zeros((2, 2), dtype=bool)))
    rle = _ls_stream(
        16, [(1, 1, (4, 0)), (1, 3, (12, 255))], sizes=(1, 2, 5, 12))
    out.append((rle, 2, 2, [[False, True], [True, True]]))
    # trailing zero bytes are padding
    rle = ls_rle_encode(np.eye(3, dtype=bool)) + [0, 0, 0]
    out.append((rle, 3, 3, np.eye(3, dtype=bool)))
    return out


def test_ls_decode_literals_and_other_sizes():
    for rle, height, width, expected in _hand_streams():
        np.testing.assert_array_equal(
            ls_rle_decode(rle, height, width), expected)


def test_ls_decode_errors():
    good = ls_rle_encode(np.array([[0, 1, 1]]))  # 1x3, N = 12
    with pytest.raises(ValueError, match='got a str'):
        ls_rle_decode('0,0,0,12', 1, 3)
    with pytest.raises(ValueError, match=r'item 1 is 1\.5'):
        ls_rle_decode([0, 1.5, 0], 1, 3)
    with pytest.raises(ValueError, match="item 0 is '0'"):
        ls_rle_decode(['0', '1'], 1, 3)
    with pytest.raises(ValueError, match='item 0 is True'):
        ls_rle_decode([True, False], 1, 3)
    with pytest.raises(ValueError, match=r'flat list .* shape \(1, 11\)'):
        ls_rle_decode([good], 1, 3)
    with pytest.raises(ValueError, match='rle is empty'):
        ls_rle_decode([], 1, 3)
    with pytest.raises(ValueError, match='item 4 is 256'):
        ls_rle_decode([0, 0, 0, 12, 256, 27, 252], 1, 3)
    with pytest.raises(ValueError, match='item 2 is -1'):
        ls_rle_decode([0, 0, -1, 12, 57, 27, 252], 1, 3)
    with pytest.raises(ValueError, match=r'6 bytes, too short .* header'):
        ls_rle_decode(good[:6], 1, 3)
    with pytest.raises(
            ValueError,
            match=r'declares N = 12 values, but a 2x3 mask needs '
            r'4\*H\*W = 24'):
        ls_rle_decode(good, 2, 3)
    wide = list(good)
    wide[4] = (15 << 3) | (good[4] & 7)  # word size - 1 = 15
    with pytest.raises(ValueError, match='word size of 16 bits'):
        ls_rle_decode(wide, 1, 3)
    # record 0 is bits 53..66, record 1 bits 67..80 of the 88-bit stream
    with pytest.raises(
            ValueError,
            match=r'ends inside record 1 \(bits 67\.\.80 of a 72-bit '
            r'stream\), after 4 of the 12 values'):
        ls_rle_decode(good[:9], 1, 3)
    with pytest.raises(ValueError, match='ends inside record 0'):
        ls_rle_decode(good[:8], 1, 3)
    literal = _ls_stream(8, [(0, 0, [0] * 8)])
    with pytest.raises(ValueError, match='ends inside record 0'):
        ls_rle_decode(literal[:-1], 1, 2)
    with pytest.raises(
            ValueError,
            match=r'record 1 \(at bit 67\) holds 8 values, past the N = 8 '
            r'values the header declares \(4 done\)'):
        ls_rle_decode(_ls_stream(8, [(1, 0, (4, 0)), (1, 0, (8, 255))]), 1, 2)
    with pytest.raises(ValueError, match='nonzero bits after its last record'):
        ls_rle_decode(good + [1], 1, 3)
    tail = list(good)
    tail[-1] |= 1  # a padding bit of the last byte
    with pytest.raises(ValueError, match=r'after its last record \(bit 81'):
        ls_rle_decode(tail, 1, 3)
    for bad in (0, -2, 1.5, True, '3', None):
        with pytest.raises(ValueError, match='height must be a positive int'):
            ls_rle_decode(good, bad, 3)
        with pytest.raises(ValueError, match='width must be a positive int'):
            ls_rle_decode(good, 1, bad)


def test_ls_encode_errors():
    with pytest.raises(ValueError, match=r'2-D \[H, W\] array, got shape'):
        ls_rle_encode(np.zeros((2, 2, 4), dtype=bool))
    with pytest.raises(ValueError, match='bool or integer array, got dtype'):
        ls_rle_encode(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r'mask is empty \(shape \(0, 5\)\)'):
        ls_rle_encode(np.zeros((0, 5), dtype=bool))
    huge = np.broadcast_to(np.zeros(1, dtype=bool), (32768, 32768))
    with pytest.raises(ValueError, match=r'4\*H\*W = 4294967296 values'):
        ls_rle_encode(huge)


def _ls_python():
    """The Label Studio venv's python, or None."""
    candidates = [
        os.environ.get('MMSEG_ADA_LS_PYTHON'),
        osp.join(REPO, '.venv-labelstudio', 'bin', 'python')
    ]
    for path in candidates:
        if path and osp.exists(path):
            return path
    return None


# Runs in the Label Studio venv: json {encode: [0/255 masks], decode: [[rle,
# h, w]], encode_rle: [flat uint8 arrays]} in, the results out.
_LS_SNIPPET = r'''
import json, sys
import numpy as np
from label_studio_sdk.converter import brush
job = json.load(sys.stdin)
out = {
    'encode': [
        [int(v) for v in brush.mask2rle(np.array(m, dtype=np.uint8))]
        for m in job['encode']],
    'decode': [
        (np.reshape(brush.decode_rle(rle), [h, w, 4])[:, :, 3] != 0)
        .astype(int).tolist() for rle, h, w in job['decode']],
    'encode_rle': [
        [int(v) for v in brush.encode_rle(np.array(a, dtype=np.uint8))]
        for a in job['encode_rle']],
}
json.dump(out, sys.stdout)
'''


def _run_ls(job):
    python = _ls_python()
    if python is None:
        env = os.environ.get('MMSEG_ADA_LS_PYTHON')
        where = f' ({env} does not exist)' if env else ''
        pytest.skip(f'no Label Studio environment: set MMSEG_ADA_LS_PYTHON'
                    f'{where} or run scripts/install_label_studio.sh '
                    f'(creates {osp.join(REPO, ".venv-labelstudio")})')
    proc = subprocess.run([python, '-c', _LS_SNIPPET],
                          input=json.dumps(job),
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, (
        f'{python} could not run label_studio_sdk.converter.brush:\n'
        f'{proc.stderr[-3000:]}')
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_ls_matches_label_studio():
    masks = _random_masks()
    ours = [ls_rle_encode(m) for m in masks]
    # Streams with literal records and runs of every length class: Label
    # Studio's encode_rle on raw uint8 values (a lone value is a literal).
    rng = np.random.default_rng(1)
    raw = []
    run_lengths = [[1, 1, 2, 1, 7, 9, 17, 256, 257, 1],
                   [65536, 1, 65537, 3, 131073], [4] * 50]
    for lengths in run_lengths:
        vals = rng.integers(0, 256, size=len(lengths))
        for i in range(1, vals.size):  # neighbours differ
            if vals[i] == vals[i - 1]:
                vals[i] = (vals[i] + 1) % 256
        arr = np.repeat(vals, lengths)
        arr = np.concatenate((arr, np.zeros(-arr.size % 4, dtype=int)))
        raw.append(arr)
    hand = _hand_streams()
    to_decode = [[rle, *m.shape] for rle, m in zip(ours, masks)]
    to_decode += [[rle, h, w] for rle, h, w, _ in hand]
    result = _run_ls({
        'encode': [(m * 255).astype(int).tolist() for m in masks],
        'decode': to_decode,
        'encode_rle': [a.tolist() for a in raw],
    })
    # our encoder writes Label Studio's bytes, bit for bit ...
    for mask, mine, theirs in zip(masks, ours, result['encode']):
        assert mine == theirs, mask.shape
    # ... Label Studio decodes ours to the mask ...
    for mask, theirs in zip(masks, result['decode']):
        np.testing.assert_array_equal(np.array(theirs, dtype=bool), mask)
    # ... and reads the hand-made streams as we do ...
    for stream, theirs in zip(hand, result['decode'][len(masks):]):
        np.testing.assert_array_equal(np.array(theirs, dtype=bool), stream[3])
    # ... and we decode Label Studio's streams, literals included.
    for arr, rle in zip(raw, result['encode_rle']):
        h = arr.size // 4
        expected = (arr[3::4] != 0).reshape(1, h)
        np.testing.assert_array_equal(ls_rle_decode(rle, 1, h), expected)


# ------------------------------------------------------------------ CVAT


def test_cvat_hand_computed():
    # 2x3 [[0 1 1], [1 0 0]]: tight box = the whole image, row-major
    # pixels 0 1 1 1 0 0 -> background 1, foreground 3, background 2.
    mask = np.array([[0, 1, 1], [1, 0, 0]], dtype=bool)
    assert cvat_rle_encode(mask) == ([1, 3, 2], 0, 0, 3, 2)
    np.testing.assert_array_equal(
        cvat_rle_decode([1, 3, 2], 0, 0, 3, 2, 2, 3), mask)
    # the box's first pixel painted: a background run of 0 first
    mask = np.array([[1, 1, 0], [0, 0, 0]], dtype=np.uint8)
    assert cvat_rle_encode(mask) == ([0, 2], 0, 0, 2, 1)
    np.testing.assert_array_equal(
        cvat_rle_decode([0, 2], 0, 0, 2, 1, 2, 3), mask.astype(bool))
    # pixels (row 1, col 2) and (row 2, col 3) of a 4x5 image: box left 2,
    # top 1, width 2, height 2; pixels 1 0 / 0 1 -> 0, 1, 2, 1
    mask = np.zeros((4, 5), dtype=bool)
    mask[1, 2] = mask[2, 3] = True
    assert cvat_rle_encode(mask) == ([0, 1, 2, 1], 2, 1, 2, 2)
    np.testing.assert_array_equal(
        cvat_rle_decode([0, 1, 2, 1], 2, 1, 2, 2, 4, 5), mask)
    # a box that is not tight decodes too; zero runs inside are allowed
    out = cvat_rle_decode([4, 0, 1, 1], 0, 0, 3, 2, 2, 3)
    np.testing.assert_array_equal(out, [[0, 0, 0], [0, 0, 1]])


def test_cvat_round_trip():
    for mask in _random_masks():
        if not mask.any():
            continue
        rle, left, top, width, height = cvat_rle_encode(mask)
        assert sum(rle) == width * height
        assert all(
            isinstance(v, int) for v in (*rle, left, top, width, height))
        # tight box: its border rows and columns hold painted pixels
        box = mask[top:top + height, left:left + width]
        assert box[0].any() and box[-1].any()
        assert box[:, 0].any() and box[:, -1].any()
        text = format_cvat_rle(rle)
        assert parse_cvat_rle(text) == rle
        out = cvat_rle_decode(
            parse_cvat_rle(text), left, top, width, height, *mask.shape)
        assert out.dtype == bool
        np.testing.assert_array_equal(out, mask)


def test_cvat_text():
    # CVAT writes str(list)[1:-1], i.e. ", " between the runs
    assert format_cvat_rle([12, 5, 3]) == '12, 5, 3'
    assert format_cvat_rle(np.array([0, 7])) == '0, 7'
    assert format_cvat_rle([4.0, 2.0]) == '4, 2'
    assert format_cvat_rle([9]) == '9'
    for text in ('12, 5, 3', '12,5,3', ' 12 ,5 , 3 ', '12,\n5,\t3'):
        assert parse_cvat_rle(text) == [12, 5, 3]


def test_cvat_errors():
    with pytest.raises(ValueError, match='no painted pixel'):
        cvat_rle_encode(np.zeros((3, 4), dtype=bool))
    with pytest.raises(ValueError, match='2-D'):
        cvat_rle_encode(np.ones(4, dtype=bool))
    with pytest.raises(ValueError, match='bool or integer'):
        cvat_rle_encode(np.ones((2, 2)))
    with pytest.raises(
            ValueError,
            match=r'the 3 runs sum to 5, but the 3x2 box has width\*height '
            r'= 6 pixels'):
        cvat_rle_decode([1, 3, 1], 0, 0, 3, 2, 2, 3)
    with pytest.raises(ValueError, match=r'run 1 is negative \(-3\)'):
        cvat_rle_decode([4, -3, 5], 0, 0, 3, 2, 2, 3)
    with pytest.raises(ValueError, match=r'run 1 is 2\.5'):
        cvat_rle_decode([1, 2.5, 2.5], 0, 0, 3, 2, 2, 3)
    with pytest.raises(ValueError, match='use parse_cvat_rle'):
        cvat_rle_decode('1, 3, 2', 0, 0, 3, 2, 2, 3)
    with pytest.raises(ValueError, match='items of dtype'):
        cvat_rle_decode(['1', '3'], 0, 0, 2, 2, 2, 3)
    with pytest.raises(
            ValueError,
            match=r'the box left=1, top=0, width=3, height=2 \(columns '
            r'1\.\.3, rows 0\.\.1\) is not inside the 2x3 image'):
        cvat_rle_decode([1, 3, 2], 1, 0, 3, 2, 2, 3)
    with pytest.raises(ValueError, match='not inside the 2x3 image'):
        cvat_rle_decode([1, 3, 2], 0, 1, 3, 2, 2, 3)
    with pytest.raises(ValueError, match='not inside the 2x3 image'):
        cvat_rle_decode([1, 1], -1, 0, 2, 1, 2, 3)
    with pytest.raises(ValueError, match='width must be a positive int'):
        cvat_rle_decode([], 0, 0, 0, 2, 2, 3)
    with pytest.raises(ValueError, match='height must be a positive int'):
        cvat_rle_decode([], 0, 0, 2, -1, 2, 3)
    with pytest.raises(
            ValueError, match='image_height must be a positive int'):
        cvat_rle_decode([1], 0, 0, 1, 1, 0, 3)
    with pytest.raises(ValueError, match='image_width must be a positive int'):
        cvat_rle_decode([1], 0, 0, 1, 1, 3, 2.0)
    with pytest.raises(ValueError, match='left and top must be ints'):
        cvat_rle_decode([1], 0.5, 0, 1, 1, 3, 3)
    with pytest.raises(ValueError, match='the rle attribute is empty'):
        parse_cvat_rle(' ')
    with pytest.raises(
            ValueError, match="item 1 of the rle attribute \\(''\\)"):
        parse_cvat_rle('1,,2')
    with pytest.raises(ValueError, match="item 1 .*'x'.* non-negative"):
        parse_cvat_rle('1, x')
    with pytest.raises(ValueError, match="item 0 .*'-3'"):
        parse_cvat_rle('-3, 3')
    with pytest.raises(ValueError, match="item 2 .*'1.5'"):
        parse_cvat_rle('1, 2, 1.5')
    with pytest.raises(ValueError, match='must be a str, got list'):
        parse_cvat_rle([1, 2])
    with pytest.raises(ValueError, match=r'run 0 is negative \(-1\)'):
        format_cvat_rle([-1, 2])


def test_cvat_matches_cvat_sdk():
    masks_mod = pytest.importorskip(
        'cvat_sdk.masks', reason='cvat-sdk is not installed')
    for mask in _random_masks():
        if not mask.any():
            continue
        rle, left, top, width, height = cvat_rle_encode(mask)
        ys, xs = np.nonzero(mask)
        bbox = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        # cvat_sdk: runs + [x1, y1, x2, y2], x2 / y2 inclusive
        points = masks_mod.encode_mask(mask, bbox=bbox)
        assert points == rle + [left, top, left + width - 1, top + height - 1]
        if hasattr(masks_mod, 'decode_mask'):
            theirs = masks_mod.decode_mask(
                points, image_width=mask.shape[1], image_height=mask.shape[0])
            np.testing.assert_array_equal(
                cvat_rle_decode(points[:-4], left, top, width, height,
                                *mask.shape), theirs)
