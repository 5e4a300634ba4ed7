"""Exports and imports of a round in every format, and every bad input.

Each bad input must raise an error naming the file, the image and the round
and leave the round's answers exactly as they were.
"""
import json
import os
import os.path as osp
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest

from mmseg_ada.active.oracles.layout import answers_dir, round_dir
from mmseg_ada.annotation.answers import (AnnotationImportError, ImportLock,
                                          pin_answers)
from mmseg_ada.annotation.formats import get_format
from mmseg_ada.annotation.rle import ls_rle_decode
from mmseg_ada.annotation.rounds import (export_round, import_round,
                                         rounds_status)
from mmseg_ada.testing.annotator import ScriptedAnnotator
from .conftest import CLASSES


def _files(path):
    """A snapshot of a folder: relative path -> bytes (the import lock's
    file, which names the last importer, aside)."""
    out = {}
    for root, _, names in os.walk(path):
        for n in names:
            if n == '.lock':
                continue
            p = osp.join(root, n)
            with open(p, 'rb') as f:
                out[osp.relpath(p, path)] = f.read()
    return out


def _answer_file(run, fmt, tmp_path, k=1, skip=0):
    """The stand-in's answers to round ``k`` in format ``fmt``."""
    req = run.requests[k]
    ann = ScriptedAnnotator(run.truth, skip=skip)
    exp = osp.join(round_dir(run.work, k), fmt)
    if fmt == 'labelstudio':
        return ann.labelstudio_export(req, osp.join(exp, 'tasks.json'),
                                      str(tmp_path / f'ls_{k}.json'))
    if fmt == 'cvat':
        return ann.cvat_xml(req, osp.join(exp, 'annotations.xml'),
                            str(tmp_path / f'cvat_{k}.xml'))
    if fmt == 'png':
        return ann.edit_png(req, exp, str(tmp_path / f'png_{k}'))
    return ann.edit_list(req, str(tmp_path / f'list_{k}.txt'))


def _labels(run, k, version):
    d = osp.join(answers_dir(run.work, k), f'v{version}', 'labels')
    return {
        n[:-4]: cv2.imread(osp.join(d, n), cv2.IMREAD_UNCHANGED)
        for n in os.listdir(d)
    }


# --------------------------------------------------------------- exports
def test_label_studio_export_carries_regions_predictions_and_ids(seg_run):
    exp = osp.join(round_dir(seg_run.work, 1), 'labelstudio')
    tasks = json.load(open(osp.join(exp, 'tasks.json')))
    req = seg_run.requests[1]
    assert [t['data']['ada_index'] for t in tasks] == [0, 1]
    t0 = tasks[0]
    # relative to the folder above the images' (a Label Studio storage
    # must be strictly inside the document root)
    assert t0['data']['image'] == '/data/local-files/?d=images/city0/img0.png'
    readme = open(osp.join(exp, 'README.txt')).read()
    assert ('LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=' +
            osp.dirname(req.image_root)) in readme
    assert req.image_root in readme
    assert t0['data']['ada_round'] == 1 and t0['data']['ada_stem'] == 'img0'
    result = t0['predictions'][0]['result']
    asked = [r for r in result if r['from_name'] == 'asked']
    labels = [r for r in result if r['from_name'] == 'label']
    # one read-only 'asked' brush per region, with the region's id
    assert [r['id'] for r in asked] == ['u7-asked', 'u9-asked']
    assert all(r['readonly'] for r in asked)
    np.testing.assert_array_equal(
        ls_rle_decode(asked[0]['value']['rle'], 20, 30)
        | ls_rle_decode(asked[1]['value']['rle'], 20, 30), req.asked('img0'))
    # one brush per bought region, its id and the model's class with it
    assert [r['id'] for r in labels] == ['u7', 'u9']
    assert [r['value']['brushlabels'] for r in labels] == [['sidewalk'],
                                                           ['car']]
    m = ls_rle_decode(labels[1]['value']['rle'], 20, 30)
    assert m.sum() == 30 and m[10:13, 0:10].all()
    cfg = open(osp.join(exp, 'labeling_config.xml')).read()
    root = ET.fromstring(cfg)
    assert [
        lab.attrib['value'] for lab in root.find("BrushLabels[@name='label']")
    ] == list(CLASSES)


def test_no_predictions_exports_only_the_asked_regions(seg_run, tmp_path):
    out = str(tmp_path / 'ls')
    export_round(
        seg_run.work, 1, 'labelstudio', out_dir=out, predictions=False)
    tasks = json.load(open(osp.join(out, 'tasks.json')))
    results = [r for t in tasks for r in t['predictions'][0]['result']]
    # the regions, each with its id, and no class
    assert {r['from_name'] for r in results} == {'asked'}
    assert [r['id'] for r in results] == ['u7-asked', 'u9-asked', 'u3-asked']
    out = str(tmp_path / 'cvat')
    export_round(seg_run.work, 1, 'cvat', out_dir=out, predictions=False)
    root = ET.parse(osp.join(out, 'annotations.xml')).getroot()
    assert [m.attrib['label']
            for m in root.iter('mask')] == ['mmseg-ada:asked'] * 3
    out = str(tmp_path / 'png')
    export_round(seg_run.work, 1, 'png', out_dir=out, predictions=False)
    lab = cv2.imread(osp.join(out, 'labels', 'img0.png'), 0)
    assert (lab == 255).all()


def test_cvat_export_lists_images_in_dataset_order_with_masks(seg_run):
    exp = osp.join(round_dir(seg_run.work, 1), 'cvat')
    root = ET.parse(osp.join(exp, 'annotations.xml')).getroot()
    assert root.findtext('version') == '1.1'
    images = root.findall('image')
    assert [(i.attrib['id'], i.attrib['name'])
            for i in images] == [('0', 'city0/img0.png'),
                                 ('1', 'city1/img1.png')]
    masks = images[0].findall('mask')
    assert [m.attrib['label'] for m in masks] == ['sidewalk', 'car']
    assert [(m.attrib['left'], m.attrib['top'], m.attrib['width'],
             m.attrib['height']) for m in masks] == [('0', '0', '30', '5'),
                                                     ('0', '10', '10', '3')]
    assert open(osp.join(exp, 'images.txt')).read().split() == \
        seg_run.paths[:2]


@pytest.mark.parametrize('fmt', ['labelstudio', 'cvat', 'png'])
def test_exports_read_back_as_the_predictions(seg_run, fmt, tmp_path):
    """A person who accepts every suggestion answers the predictions."""
    req = seg_run.requests[1]
    path = osp.join(round_dir(seg_run.work, 1), fmt)
    if fmt == 'labelstudio':  # accepted predictions become annotations
        tasks = json.load(open(osp.join(path, 'tasks.json')))
        for t in tasks:
            t['annotations'] = [
                dict(id=1, result=t['predictions'][0]['result'])
            ]
        path = str(tmp_path / 'accepted.json')
        json.dump(tasks, open(path, 'w'))
    elif fmt == 'cvat':
        path = osp.join(path, 'annotations.xml')
    meta = import_round(seg_run.work, 1, path, fmt)
    assert meta['answered'] == req.total_cost and meta['unanswered'] == 0
    got = _labels(seg_run, 1, meta['version'])
    for im in req.images:
        np.testing.assert_array_equal(got[im.stem], req.predicted_map(im.stem))


# ------------------------------------------------------------- imports
@pytest.mark.parametrize('fmt', ['labelstudio', 'cvat', 'png'])
def test_answers_inside_the_asked_units_only(seg_run, fmt, tmp_path):
    req = seg_run.requests[1]
    path = _answer_file(seg_run, fmt, tmp_path)
    meta = import_round(seg_run.work, 1, path, fmt)
    got = _labels(seg_run, 1, meta['version'])
    answered = 0
    for im in req.images:
        gt = seg_run.truth.ground_truth(im.index)
        asked = req.asked(im.stem)
        want = np.where(asked, gt, 255)
        np.testing.assert_array_equal(got[im.stem], want)
        answered += int((want != 255).sum())
    # the ignore row of image 0 lies in a region: asked, left unlabelled
    assert meta['unanswered'] == 30 and meta['answered'] == answered
    assert meta['answered'] + meta['unanswered'] == req.total_cost
    assert meta['dropped'] == 0
    assert sum(meta['per_class']) == answered
    assert meta['source']['format'] == fmt


def test_labels_outside_the_asked_units_are_dropped_and_counted(
        seg_run, tmp_path):
    path = _answer_file(seg_run, 'png', tmp_path)
    lab = cv2.imread(osp.join(path, 'labels', 'img1.png'), 0)
    lab[:, :5] = 2  # outside image 1's region (cols 5..9)
    cv2.imwrite(osp.join(path, 'labels', 'img1.png'), lab)
    meta = import_round(seg_run.work, 1, path, 'png')
    assert meta['dropped'] == 16 * 5
    assert meta['per_image']['img1']['dropped'] == 80
    got = _labels(seg_run, 1, meta['version'])
    assert (got['img1'][:, :5] == 255).all()


@pytest.mark.parametrize('fmt', ['labelstudio', 'cvat', 'list'])
def test_classification_answers(cls_run, fmt, tmp_path):
    path = _answer_file(cls_run, fmt, tmp_path, skip=3)
    meta = import_round(cls_run.work, 1, path, fmt)
    labels = json.load(
        open(
            osp.join(
                answers_dir(cls_run.work, 1), f'v{meta["version"]}',
                'labels.json')))['labels']
    # the third image was skipped by the annotator: unanswered
    assert labels == {'1': 3, '3': 1, '4': None}
    assert (meta['answered'], meta['unanswered']) == (2, 1)


def test_classification_exports_suggest_the_predicted_class(cls_run):
    exp = round_dir(cls_run.work, 1)
    tasks = json.load(open(osp.join(exp, 'labelstudio', 'tasks.json')))
    assert [
        t['predictions'][0]['result'][0]['value']['choices'] for t in tasks
    ] == [['traffic light'], ['road'], ['sidewalk']]
    root = ET.parse(osp.join(exp, 'cvat', 'annotations.xml')).getroot()
    assert [i.find('tag').attrib['label'] for i in root.iter('image')
            ] == ['traffic light', 'road', 'sidewalk']
    assert open(osp.join(exp, 'list', 'labels.txt')).read().split() == [
        'city1/img1.png', '2', 'city1/img3.png', '0', 'city0/img4.png', '1'
    ]
    with pytest.raises(ValueError, match="cannot carry labels of whole"):
        get_format('png', 'image')


def test_reimport_replaces_never_merges(seg_run, tmp_path):
    first = import_round(seg_run.work, 1, _answer_file(seg_run, 'png',
                                                       tmp_path), 'png')
    exp = osp.join(round_dir(seg_run.work, 1), 'png')
    # the second import answers image 1 only
    second_dir = ScriptedAnnotator(
        seg_run.truth, skip=2).edit_png(seg_run.requests[1], exp,
                                        str(tmp_path / 'second'))
    second = import_round(seg_run.work, 1, second_dir, 'png')
    assert (first['version'], second['version']) == (1, 2)
    assert json.load(
        open(osp.join(answers_dir(seg_run.work, 1),
                      'current.json'))) == dict(version=2)
    assert set(_labels(seg_run, 1, 2)) == {'img0'}
    assert second['answered'] < first['answered']


def test_a_pinned_round_cannot_be_imported_again(seg_run, tmp_path):
    path = _answer_file(seg_run, 'png', tmp_path)
    import_round(seg_run.work, 1, path, 'png')
    rec = pin_answers(seg_run.store, 1, iteration=40)
    assert rec['version'] == 1 and rec['pinned_at_iteration'] == 40
    report = seg_run.store.read_round(1)
    assert report['answers']['version'] == 1
    assert report['round_ignored'] == 30
    before = _files(answers_dir(seg_run.work, 1))
    with pytest.raises(
            AnnotationImportError,
            match=r'round 1: the run already trains on version 1 '
            r'of this round \(since iteration 40\)'):
        import_round(seg_run.work, 1, path, 'png')
    assert _files(answers_dir(seg_run.work, 1)) == before
    rows = rounds_status(seg_run.work)
    assert rows[0]['in_training'] == 1 and rows[1]['in_training'] is None
    assert rows[0]['exported'] == ['labelstudio', 'cvat', 'png']


# ------------------------------------------------------------ bad input
def _bad_ls(run, tmp_path, edit):
    path = _answer_file(run, 'labelstudio', tmp_path)
    tasks = json.load(open(path))
    edit(tasks)
    json.dump(tasks, open(path, 'w'))
    return path


def _bad_cvat(run, tmp_path, edit):
    path = _answer_file(run, 'cvat', tmp_path)
    tree = ET.parse(path)
    edit(tree.getroot())
    tree.write(path)
    return path


def _set(obj, **kv):
    obj.update(kv)


BAD = {
    'ls image not in round':
    ('labelstudio', lambda r, t: _bad_ls(
        r, t, lambda ts: _set(
            ts[1]['data'],
            ada_index=2,
            ada_stem='img2',
            ada_name='city0/img2.png')),
     r"image 'city0/img2.png'.*round 1: task 2: the image is not in"),
    'ls class not in dataset':
    ('labelstudio', lambda r, t: _bad_ls(
        r, t, lambda ts: ts[0]['annotations'][0]['result'][0]['value'].update(
            brushlabels=['bicycle'])),
     r"image 'city0/img0.png', round 1: task 1: class \['bicycle'\] is "
     'not a class of the dataset'),
    'ls mask size differs':
    ('labelstudio',
     lambda r, t: _bad_ls(
         r, t, lambda ts: ts[1]['annotations'][0]['result'][0].update(
             original_width=25)),
     r"image 'city1/img1.png', round 1: task 2: a brush of 25x16 for an "
     'image of 24x16'),
    'ls malformed rle':
    ('labelstudio',
     lambda r, t: _bad_ls(
         r, t, lambda ts: ts[0]['annotations'][0]['result'][0]['value'].update(
             rle=[0, 0, 9])),
     r"image 'city0/img0.png', round 1: task 1: malformed brush RLE"),
    'ls task of another round':
    ('labelstudio',
     lambda r, t: _bad_ls(r, t, lambda ts: _set(ts[0]['data'], ada_round=2)),
     r'round 1: task 1 belongs to round 2'),
    'ls not exported by us':
    ('labelstudio',
     lambda r, t: _bad_ls(r, t, lambda ts: ts[0]['data'].pop('ada_index')),
     r'task 1 has no ada_round/ada_index'),
    'ls malformed task':
    ('labelstudio', lambda r, t:
     _bad_ls(r, t, lambda ts: _set(ts[0]['data'], ada_index='first')),
     r'round 1: task 1: not a Label Studio task as it exports them '
     r'\(ValueError'),
    'xml as label studio': ('labelstudio',
                            lambda r, t: _answer_file(r, 'cvat', t),
                            r'not a Label Studio JSON export \(not JSON'),
    'cvat image not in round':
    ('cvat', lambda r, t:
     _bad_cvat(r, t, lambda root: root.find('image').set('name', 'img7.png')),
     r"image 'img7.png', round 1: the image is not in the round \(images "
     'are matched by the name exported'),
    'cvat class not in dataset':
    ('cvat', lambda r, t:
     _bad_cvat(r, t, lambda root: root.find('image/mask').set('label', 'bus')),
     r"image 'city0/img0.png', round 1: class 'bus' is not a class"),
    'cvat size differs':
    ('cvat', lambda r, t:
     _bad_cvat(r, t, lambda root: root.find('image').set('height', '21')),
     r"image 'city0/img0.png', round 1: an image of 30x21 in the file, "
     '30x20 on disk'),
    'cvat malformed rle':
    ('cvat', lambda r, t:
     _bad_cvat(r, t, lambda root: root.find('image/mask').set('rle', '3, 4')),
     r"image 'city0/img0.png', round 1: malformed mask RLE"),
    'json as cvat': ('cvat', lambda r, t: _answer_file(r, 'labelstudio', t),
                     r'round 1: not a CVAT for images 1.1 XML file'),
    'png of another size':
    ('png',
     lambda r, t: _png_edit(
         r, t, lambda d: cv2.imwrite(
             osp.join(d, 'labels', 'img1.png'), np.zeros((16, 23), np.uint8))),
     r"image 'city1/img1.png', round 1: a label map of 23x16 for an "
     'image of 24x16'),
    'png value not a class':
    ('png',
     lambda r, t: _png_edit(
         r, t, lambda d: cv2.imwrite(
             osp.join(d, 'labels', 'img1.png'), np.full(
                 (16, 24), 7, np.uint8))),
     r"image 'city1/img1.png', round 1: label value 7 is not a class"),
    'png colour file':
    ('png',
     lambda r, t: _png_edit(
         r, t, lambda d: cv2.imwrite(
             osp.join(d, 'labels', 'img1.png'), np.zeros(
                 (16, 24, 3), np.uint8))),
     r'img1.png, image .*round 1: not an 8-bit single-channel PNG'),
    'file as png folder': ('png',
                           lambda r, t: _answer_file(r, 'labelstudio', t),
                           r'round 1: not a png export folder'),
}


def _png_edit(run, tmp_path, edit):
    path = _answer_file(run, 'png', tmp_path)
    edit(path)
    return path


@pytest.mark.parametrize('case', sorted(BAD))
def test_bad_input_is_refused_and_changes_nothing(seg_run, tmp_path, case):
    fmt, make, message = BAD[case]
    # an earlier good import must survive every bad one
    good = _answer_file(seg_run, 'png', tmp_path, k=2)
    import_round(seg_run.work, 2, good, 'png')
    before = {k: _files(answers_dir(seg_run.work, k)) for k in (1, 2)}
    path = make(seg_run, tmp_path)
    with pytest.raises(AnnotationImportError, match=message):
        import_round(seg_run.work, 1, path, fmt)
    after = {k: _files(answers_dir(seg_run.work, k)) for k in (1, 2)}
    assert after == before


def test_round_that_does_not_exist_or_was_not_exported(seg_run, tmp_path):
    path = _answer_file(seg_run, 'png', tmp_path)
    with pytest.raises(
            AnnotationImportError,
            match=r'round 3: the run in .* has bought rounds 1..2 '
            'only'):
        import_round(seg_run.work, 3, path, 'png')
    # a round bought without a request (e.g. by the ground-truth oracle)
    import shutil
    shutil.rmtree(osp.join(round_dir(seg_run.work, 2), 'request'))
    with pytest.raises(
            AnnotationImportError,
            match='round 2: was not exported: round 2 of .* has '
            'no annotation request'):
        import_round(seg_run.work, 2, path, 'png')
    assert not osp.exists(answers_dir(seg_run.work, 2))


@pytest.mark.slow
def test_import_while_another_import_runs_is_refused(seg_run, tmp_path):
    path = _answer_file(seg_run, 'png', tmp_path)
    import subprocess
    import sys
    holder = subprocess.Popen([
        sys.executable, '-c',
        'import sys, time; sys.path.insert(0, %r)\n'
        'from mmseg_ada.annotation.answers import ImportLock\n'
        'with ImportLock(%r, 1):\n'
        '    print("held", flush=True); time.sleep(60)' % (osp.dirname(
            osp.dirname(osp.dirname(osp.abspath(__file__)))), seg_run.work)
    ],
                              stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == 'held'
        with pytest.raises(
                AnnotationImportError,
                match=r'round 1: another import of this round is '
                r'running \(pid \d+ on host'):
            import_round(seg_run.work, 1, path, 'png')
        assert not osp.exists(
            osp.join(answers_dir(seg_run.work, 1), 'current.json'))
    finally:
        holder.kill()
        holder.wait()
    with ImportLock(seg_run.work, 1):  # released with its holder
        pass


@pytest.mark.slow
def test_status_checks_the_store_and_the_answers(seg_run, tmp_path):
    from mmseg_ada.annotation.rounds import check_annotations
    from tests.utils import PYTHON, REPO, run_tool
    path = _answer_file(seg_run, 'png', tmp_path)
    import_round(seg_run.work, 1, path, 'png')
    pin_answers(seg_run.store, 1, iteration=4)
    tool = [PYTHON, osp.join(REPO, 'tools', 'annotate.py'), 'status']
    ok = run_tool(tool + [seg_run.work])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert 'store check: OK' in ok.stdout
    assert 'round 2: waiting for labels' in ok.stdout
    assert check_annotations(seg_run.work) == []
    # a pinned version's answers vanish: found, named, exit 1
    lost = osp.join(answers_dir(seg_run.work, 1), 'v1', 'labels', 'img0.png')
    os.remove(lost)
    bad = run_tool(tool + [seg_run.work])
    assert bad.returncode == 1
    assert "[missing-answers] round 1, version 1: the answers of 'img0'" in \
        bad.stdout
    assert [p.code
            for p in check_annotations(seg_run.work)] == ['missing-answers']


def test_cvat_frames_named_by_file_name_match_by_frame_id(seg_run, tmp_path):
    """A CVAT task made by uploading the files names its frames by file
    name only; the frame ids (Predefined order) then map them back."""
    path = _answer_file(seg_run, 'cvat', tmp_path)
    tree = ET.parse(path)
    for node in tree.getroot().iter('image'):
        node.set('name', osp.basename(node.attrib['name']))
    tree.write(path)
    meta = import_round(seg_run.work, 1, path, 'cvat')
    assert meta['answered'] + meta['unanswered'] == \
        seg_run.requests[1].total_cost
    assert meta['answered'] > 0
    labels = json.load(
        open(osp.join(round_dir(seg_run.work, 1), 'cvat', 'labels.json')))
    assert [lb['name'] for lb in labels] == list(CLASSES)
    assert {lb['type'] for lb in labels} == {'mask'}


def test_a_pinned_answer_that_vanished_is_an_error(seg_run, tmp_path):
    from mmseg_ada.active.oracles import HumanOracle
    from mmseg_ada.active.stores import StoreIntegrityError
    import_round(seg_run.work, 1, _answer_file(seg_run, 'png', tmp_path),
                 'png')
    pin_answers(seg_run.store, 1, iteration=0)
    oracle = HumanOracle().bind(None, seg_run.work)
    lab = oracle.round_labels(1, 'img0', (20, 30))
    assert (lab != 255).any()
    os.remove(
        osp.join(answers_dir(seg_run.work, 1), 'v1', 'labels', 'img1.png'))
    with pytest.raises(
            StoreIntegrityError,
            match=r"img1.png is missing: round 1 \(version 1\) "
            r"answered \d+ pixels of 'img1'"):
        HumanOracle().bind(None,
                           seg_run.work).round_labels(1, 'img1', (16, 24))


def test_no_pin_while_an_import_runs(seg_run, tmp_path):
    """The run pins only under the round's import lock: an import that
    runs meanwhile becomes the version pinned next (or is refused once
    the round is pinned)."""
    import_round(seg_run.work, 1, _answer_file(seg_run, 'png', tmp_path),
                 'png')
    with ImportLock(seg_run.work, 1):
        assert pin_answers(seg_run.store, 1, iteration=0) is None
        assert seg_run.store.answers(1) is None
    assert pin_answers(seg_run.store, 1, iteration=0)['version'] == 1


def test_answers_that_kept_the_suggestion_are_counted(seg_run, tmp_path):
    req = seg_run.requests[1]
    # accepting every suggestion: all answered pixels are unchanged
    meta = import_round(seg_run.work, 1,
                        osp.join(round_dir(seg_run.work, 1), 'png'), 'png')
    assert meta['unchanged'] == meta['answered'] == req.total_cost
    # the truth: unchanged where it equals the model's class
    meta = import_round(seg_run.work, 1, _answer_file(seg_run, 'png',
                                                      tmp_path), 'png')
    same = sum(
        int(((
            seg_run.truth.ground_truth(im.index) == req.predicted_map(im.stem))
             & req.asked(im.stem)).sum()) for im in req.images)
    assert 0 < meta['unchanged'] == same < meta['answered']


def test_each_export_format_is_known_to_the_oracle():
    from mmseg_ada.active.oracles import EXPORT_FORMATS
    from mmseg_ada.annotation.formats import FORMATS
    for kind in ('mask', 'image'):
        assert set(EXPORT_FORMATS[kind]) == {
            n
            for n, m in FORMATS.items() if kind in m.KINDS
        }
