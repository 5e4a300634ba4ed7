"""Image rounds answered by a person, on a target list WITHOUT labels.

A new target domain: the target images are a list of paths only
(``ImageListDataset(with_labels=False)``); the run stops at each round,
the stand-in answers (an edited image list, then CVAT XML), and the run
ends bit-identical to the ground-truth run on the labelled list.
"""
import os.path as osp

import pytest

from mmseg_ada.active.oracles import GroundTruthOracle
from mmseg_ada.active.oracles.layout import round_dir
from mmseg_ada.annotation.request import AnnotationRequest
from mmseg_ada.testing.annotator import ScriptedAnnotator
from tests.test_engine.test_cls_protocol import cls_cfg, ok, state, train
from tests.test_engine.test_human_protocol import annotate, stopped

# every test here runs tools/train.py (or dist_train.sh) in a subprocess
pytestmark = pytest.mark.slow

UNLABELLED = """
unl = dict(_base_.demo_cls_target, ann_file='target_unlabelled.txt',
           with_labels=False)
train_dataloader.update(dataset=dict(streams=dict(target=dict(
    type='LabeledSubsetDataset', dataset=unl))))
train_cfg.update(oracle=dict(type='HumanOracle'),
                 selector=dict(pool_dataloader=dict(dataset=unl)))
"""


def _stand_in(project):
    from mmseg.registry import DATASETS
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    ds = DATASETS.build(
        dict(
            type='ImageListDataset',
            data_root=osp.join(project, 'data', 'demo_cls'),
            ann_file='target.txt',
            metainfo=dict(classes=tuple(str(c) for c in range(10))),
            pipeline=[]))
    return ScriptedAnnotator(GroundTruthOracle().bind(ds))


@pytest.mark.timeout(1200)
def test_a_new_domain_labelled_by_a_person(cls_project, tmp_path):
    root = osp.join(cls_project, 'data', 'demo_cls')
    with open(osp.join(root, 'target.txt')) as f:
        paths = [ln.rsplit(maxsplit=1)[0] for ln in f if ln.strip()]
    with open(osp.join(root, 'target_unlabelled.txt'), 'w') as f:
        f.write(''.join(p + '\n' for p in paths))
    ref = osp.join(cls_project, 'work_dirs', 'ent_gt')
    ok(train(cls_project, cls_cfg(cls_project, 'ent_gt', 'ent'), ref))

    work = osp.join(cls_project, 'work_dirs', 'ent_person')
    cfg = cls_cfg(cls_project, 'ent_person', 'ent', extra=UNLABELLED)
    stopped(train(cls_project, cfg, work), 1)
    ann = _stand_in(cls_project)
    # round 1 as an edited image list, round 2 as CVAT XML
    for k, fmt in ((1, 'list'), (2, 'cvat')):
        req = AnnotationRequest.of_round(work, k)
        assert req.kind == 'image' and len(req.images) == 3
        if fmt == 'list':
            path = ann.edit_list(req, str(tmp_path / 'labels.txt'))
        else:
            path = ann.cvat_xml(
                req, osp.join(round_dir(work, k), 'cvat', 'annotations.xml'),
                str(tmp_path / 'cvat.xml'))
        ok(annotate('import', work, '--round', k, path, '--format', fmt))
        proc = train(cls_project, cfg, work, '--resume')
        if k == 1:
            stopped(proc, 2)
        else:
            ok(proc)
    assert state(work) == state(ref)
