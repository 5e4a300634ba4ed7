"""People in the loop through a REAL Label Studio server.

A run with a person's oracle stops at its round; the round's exported
labelling config and tasks go into a Label Studio project over its HTTP
API; the stand-in submits an annotation per task as a person's browser
does (the ground truth inside the asked regions); the project's JSON export
is imported; the run resumes and finishes.  The labels training then sees
are the ground truth inside the bought regions and 255 everywhere else.
"""
import json
import os.path as osp

import numpy as np
import pytest

from mmseg_ada.active.oracles import GroundTruthOracle
from mmseg_ada.active.stores import MaskLabelStore
from mmseg_ada.testing.label_studio import label_round
from tests.test_engine.test_active_protocol import active_cfg, ok, train
from tests.test_engine.test_human_protocol import _stand_in, annotate, stopped

# runs tools/train.py in a subprocess against a real Label Studio server
pytestmark = pytest.mark.slow


@pytest.mark.timeout(1200)
def test_a_round_labelled_in_label_studio(project, label_studio, tmp_path):
    work = osp.join(project, 'work_dirs', 'human_ls')
    # image URLs relative to the server's document root
    cfg = active_cfg(
        project,
        'human_ls',
        rounds=1,
        extra="train_cfg.update(oracle=dict(type='HumanOracle', "
        f'document_root={str(label_studio.document_root)!r}))')
    stopped(train(project, cfg, work), 1)
    annotator = _stand_in(project)
    export = str(tmp_path / 'label_studio_export.json')
    info = label_round(label_studio, work, 1, annotator, export)
    assert info['tasks'] > 0
    tasks = json.load(open(export))
    assert len(tasks) == info['tasks']
    assert all(len(t['annotations']) == 1 for t in tasks)
    ok(
        annotate('import', work, '--round', 1, export, '--format',
                 'labelstudio'))
    ok(train(project, cfg, work, '--resume'))

    # what training sees: LoadBoughtLabels through the person's oracle
    from mmseg_ada.datasets import LabeledSubsetDataset
    ds = LabeledSubsetDataset(
        dict(
            type='CityscapesDataset',
            data_root=osp.join(project, 'data', 'demo', 'cityscapes'),
            data_prefix=dict(
                img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
                dict(type='PackSegInputs')
            ]),
        work_dir=work,
        oracle=dict(type='HumanOracle'))
    store = MaskLabelStore(work, readonly=True)
    truth = GroundTruthOracle().bind(ds.dataset)
    assert len(ds) == len(tasks)
    for j, i in enumerate(ds.labeled_indices()):
        seen = ds[j]['data_samples'].gt_sem_seg.data[0].numpy()
        bought = store.mask(ds.stems[i], seen.shape)
        gt = truth.ground_truth(i)
        np.testing.assert_array_equal(seen, np.where(bought, gt, 255))
    st = json.load(open(osp.join(work, 'active', 'state.json')))
    assert st['answers']['1']['source']['format'] == 'labelstudio'
