"""The pure logic of online purchases (``active/online.py``): crop pixels
to original pixels, merging and cutting requests, the commit ledger.  The
engine's use of it (ranks, log, store) is tested in
``tests/test_engine/test_online_acquisition.py``."""
import json

import numpy as np
import pytest
import torch

from mmseg_ada.active.online import (PurchaseLedger, crop_pixel_index,
                                     log_record, merge_requests,
                                     requested_pixels, unlabelled_within)


def test_crop_pixels_map_to_unique_original_pixels():

    class Sample:
        gt_pixel_index = torch.tensor([[[5, 3, -1], [3, 7, 1]]])

    pix = crop_pixel_index(Sample())
    assert pix.shape == (2, 3) and pix.dtype == torch.long
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]], dtype=torch.bool)
    np.testing.assert_array_equal(requested_pixels(pix, mask), [3, 5])
    with pytest.raises(KeyError, match='AddPixelIndex'):
        crop_pixel_index(object())


def test_requests_merge_in_order_and_cut_to_the_budget():
    a, b = np.array([4, 2]), np.array([9])
    merged = merge_requests([[(3, a), (1, b)], [(3, np.array([2, 6]))]])
    assert list(merged) == [3, 1] and len(merged[3]) == 2
    labelled = np.zeros(10, np.int64)
    labelled[4] = 1
    np.testing.assert_array_equal(
        unlabelled_within(merged[3], labelled, 10), [2, 6])
    np.testing.assert_array_equal(
        unlabelled_within(merged[3], labelled, 1), [2])


def test_ledger_of_commits():
    records = [
        log_record(1, 0, 10, [2, 0]),
        log_record(2, 4, 5, [1]),
    ]
    assert json.dumps(records[0]) == (
        '{"commit": 1, "iteration": 0, "spent": 10, "images": [0, 2]}')
    ledger = PurchaseLedger.from_records(records, 2, 'log', 'store')
    assert len(ledger) == 2 and ledger.images == [[0, 2], [1]]
    assert ledger.visible_commit(0) == 0 and ledger.visible_commit(5) == 2
    assert ledger.commit_at(4) == 2 and ledger.commit_at(3) is None
    assert ledger.spent_before(4) == 10 and ledger.count_from(1) == 1
    ledger.add(7, 3, {5: None, 4: None})
    assert ledger.commit_at(7) == 3 and ledger.images[-1] == [4, 5]
    with pytest.raises(RuntimeError, match='disagree'):
        PurchaseLedger.from_records(records, 3, 'log', 'store')
