"""ADA-MCU's acquisition figure, drawn from a hand-made record (no model:
the segmentor's recording and the hook's writing are tested with the model
in tests/test_models/test_mcu_segmentor.py)."""
import os.path as osp

import cv2
import numpy as np

from mmseg_ada.visualization.mcu_acquisition import (GROUP_COLOURS,
                                                     draw_acquisition,
                                                     write_acquisition_figure)

H, W, SEP = 8, 12, 4
PALETTE = np.array([[10, 20, 30], [200, 0, 0], [0, 0, 250]], np.uint8)


def _crop(value):
    return np.full((H, W, 3), value, np.uint8)


def _labels(at=None, cls=None):
    lab = np.full((H, W), 255, np.int64)
    if at is not None:
        lab[at] = cls
    return lab


def test_panels_layout_and_colours():
    groups = np.full((H, W), -1, np.int64)
    groups[0, 0], groups[0, 1], groups[0, 2] = 0, 1, 2
    fig = draw_acquisition([_crop(100), _crop(40)],
                           [_labels((2, 3), 1), _labels()],
                           [_labels((5, 6), 2), _labels()], [groups, groups],
                           palette=PALETTE,
                           radius=0)
    # two rows of image | groups | bought | pseudo, white separators
    assert fig.shape == (2 * H + SEP, 4 * W + 3 * SEP, 3)
    assert (fig[H:H + SEP] == 255).all() and (fig[:, W:W + SEP] == 255).all()
    row = fig[:H]
    panel = [row[:, i * (W + SEP):i * (W + SEP) + W] for i in range(4)]
    assert (panel[0] == 100).all()  # the crop as given
    dim = int(100 * 0.35)
    # groups: low / medium / high blended with the dimmed crop; -1 dimmed
    for j in range(3):
        want = (0.5 * dim + 0.5 * GROUP_COLOURS[j].astype(float)).astype(
            np.uint8)
        np.testing.assert_array_equal(panel[1][0, j], want)
    assert (panel[1][1:] == dim).all()
    # the bought pixel in its class colour, nothing else labelled
    np.testing.assert_array_equal(panel[2][2, 3], PALETTE[1])
    mask = np.ones((H, W), bool)
    mask[2, 3] = False
    assert (panel[2][mask] == dim).all()
    np.testing.assert_array_equal(panel[3][5, 6], PALETTE[2])
    # a crop with nothing bought: only its dimmed copy
    second = fig[H + SEP:]
    assert (second[:, 2 * (W + SEP):2 * (W + SEP) + W] == int(40 * 0.35)).all()


def test_sparse_pixels_grow_into_squares():
    fig = draw_acquisition([_crop(0)], [_labels((4, 4), 1)], [_labels()],
                           palette=PALETTE,
                           radius=1)
    bought = fig[:, W + SEP:2 * W + SEP]  # no groups panel here
    red = (bought == PALETTE[1]).all(-1)
    assert red[3:6, 3:6].all() and red.sum() == 9


def test_written_where_the_record_says(tmp_path):
    record = dict(
        iteration=42,
        images=[_crop(90)],
        bought=[_labels((1, 1), 0)],
        pseudo=[_labels()],
        groups=[np.zeros((H, W), np.int64)],
        num_classes=3,
        ignore_index=255,
        vis_dir=str(tmp_path))
    fig = write_acquisition_figure(record)
    path = osp.join(str(tmp_path), 'mcu_acquisition_0000042.png')
    on_disk = cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1]
    np.testing.assert_array_equal(on_disk, fig)
