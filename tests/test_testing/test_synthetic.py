"""The synthetic source/target pair: formats, determinism, domain shift."""
import glob
import hashlib
import os
import os.path as osp
import re
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from mmseg_ada.datasets import label_maps
from mmseg_ada.testing import synthetic
from mmseg_ada.testing.synthetic import make_synthetic_da, render_scene
from tests.utils import REPO

SIZE = (64, 128)
KW = dict(
    num_source=6, num_target_train=5, num_target_val=3, size=SIZE, seed=0)

# Independent copies of the standard tables (cityscapesScripts labels.py and
# the SYNTHIA RAND-CITYSCAPES legend), written as name-keyed pairs.
CS_TRAIN = {
    'road': (7, 0),
    'sidewalk': (8, 1),
    'building': (11, 2),
    'wall': (12, 3),
    'fence': (13, 4),
    'pole': (17, 5),
    'traffic light': (19, 6),
    'traffic sign': (20, 7),
    'vegetation': (21, 8),
    'terrain': (22, 9),
    'sky': (23, 10),
    'person': (24, 11),
    'rider': (25, 12),
    'car': (26, 13),
    'truck': (27, 14),
    'bus': (28, 15),
    'train': (31, 16),
    'motorcycle': (32, 17),
    'bicycle': (33, 18)
}
ID_TO_TRAIN = np.full(256, 255, np.uint8)
for _lid, _tid in CS_TRAIN.values():
    ID_TO_TRAIN[_lid] = _tid
SYNTHIA_ID = {
    'sky': 1,
    'building': 2,
    'road': 3,
    'sidewalk': 4,
    'vegetation': 6,
    'pole': 7,
    'car': 8,
    'traffic sign': 9,
    'person': 10,
    'traffic light': 15
}
CS_ID_TO_SYNTHIA = np.zeros(256, np.uint16)  # ego vehicle etc. -> void 0
for _name, _sid in SYNTHIA_ID.items():
    CS_ID_TO_SYNTHIA[CS_TRAIN[_name][0]] = _sid
ROAD, SIDEWALK, BUILDING, POLE, SIGN, VEG, SKY, PERSON, CAR = (7, 8, 11, 17,
                                                               20, 21, 23, 24,
                                                               26)
CITY_NAME = re.compile(r'^([a-z]+)_(\d{6})_(\d{6})_leftImg8bit\.png$')


@pytest.fixture(scope='module')
def gta_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('syn') / 'gta')
    info = make_synthetic_da(root, **KW)
    assert info['created']
    return root


def _tree_digest(root):
    digest = hashlib.sha256()
    for path in sorted(glob.glob(osp.join(root, '**', '*'), recursive=True)):
        if osp.isfile(path):
            digest.update(osp.relpath(path, root).encode())
            with open(path, 'rb') as f:
                digest.update(f.read())
    return digest.hexdigest()


def _target_pairs(root, split):
    imgs = sorted(
        glob.glob(
            osp.join(root, 'cityscapes', 'leftImg8bit', split, '*', '*.png')))
    out = []
    for img in imgs:
        ann = img.replace(osp.join('leftImg8bit', ''), osp.join('gtFine', ''))
        stem = ann[:-len('_leftImg8bit.png')]
        out.append((img, stem + '_gtFine_labelIds.png',
                    stem + '_gtFine_labelTrainIds.png'))
    return out


def _read_rgb(path):
    return cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_gta5_source_format(gta_root):
    imgs = sorted(glob.glob(osp.join(gta_root, 'gta5', 'images', '*')))
    labels = sorted(glob.glob(osp.join(gta_root, 'gta5', 'labels', '*')))
    names = [osp.basename(p) for p in imgs]
    assert names == [f'{i:05d}.png' for i in range(1, KW['num_source'] + 1)]
    assert [osp.basename(p) for p in labels] == names  # no trainId files
    expected_palette = np.zeros((256, 3), np.uint8)
    expected_palette[:34] = synthetic.CITYSCAPES_ID_PALETTE
    for img_path, lab_path in zip(imgs, labels):
        with Image.open(img_path) as img:
            assert img.mode == 'RGB' and img.size == (SIZE[1], SIZE[0])
        with Image.open(lab_path) as lab:
            assert lab.mode == 'P' and lab.size == (SIZE[1], SIZE[0])
            pal = np.array(lab.getpalette(), np.uint8)
            pal = np.pad(pal, (0, 768 - pal.size)).reshape(256, 3)
            values = np.unique(np.asarray(lab))
        np.testing.assert_array_equal(pal[:34], expected_palette[:34])
        assert set(values.tolist()) <= {lid
                                        for lid, tid in CS_TRAIN.values()
                                        }  # valid, no ignore ids
    # spot-check the palette against the Cityscapes colours
    assert tuple(expected_palette[ROAD]) == (128, 64, 128)
    assert tuple(expected_palette[CAR]) == (0, 0, 142)


def test_synthia_source_format_matches_gta5(gta_root, tmp_path):
    root = str(tmp_path / 'syn')
    info = make_synthetic_da(root, **dict(KW, source_format='synthia'))
    assert info['source_img_dir'] == osp.join(root, 'synthia', 'RGB')
    labels = sorted(glob.glob(osp.join(root, 'synthia', 'GT', 'LABELS', '*')))
    assert [osp.basename(p) for p in labels
            ] == [f'{i:07d}.png' for i in range(KW['num_source'])]
    for i, path in enumerate(labels):
        gt = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        assert gt.dtype == np.uint16 and gt.shape == SIZE + (3, )
        assert not gt[..., 0].any()  # B channel unused
        # the same scene as the GTA5 copy, class ids in R (index 2 in BGR)
        with Image.open(
                osp.join(gta_root, 'gta5', 'labels',
                         f'{i + 1:05d}.png')) as lab:
            gta = np.asarray(lab)
        np.testing.assert_array_equal(gt[..., 2], CS_ID_TO_SYNTHIA[gta])
        # instance ids (G) only on the thing classes
        things = np.isin(gt[..., 2], [8, 9, 10, 15])
        assert gt[..., 1][things].all() and not gt[..., 1][~things].any()
        rgb = _read_rgb(osp.join(root, 'synthia', 'RGB', f'{i:07d}.png'))
        np.testing.assert_array_equal(
            rgb,
            _read_rgb(
                osp.join(gta_root, 'gta5', 'images', f'{i + 1:05d}.png')))


def test_cityscapes_target_layout_and_train_ids(gta_root):
    cities = {}
    for split, n in (('train', KW['num_target_train']),
                     ('val', KW['num_target_val'])):
        pairs = _target_pairs(gta_root, split)
        assert len(pairs) == n
        cities[split] = set()
        for img, ids_path, train_path in pairs:
            match = CITY_NAME.match(osp.basename(img))
            assert match, img
            assert osp.basename(osp.dirname(img)) == match.group(1)
            cities[split].add(match.group(1))
            assert _read_rgb(img).shape == SIZE + (3, )
            ids = cv2.imread(ids_path, cv2.IMREAD_UNCHANGED)
            train = cv2.imread(train_path, cv2.IMREAD_UNCHANGED)
            assert ids.dtype == np.uint8 and ids.shape == SIZE
            assert train.dtype == np.uint8 and train.shape == SIZE
            np.testing.assert_array_equal(train, ID_TO_TRAIN[ids])
            assert set(np.unique(train)) <= set(range(19)) | {255}
            # the ego-vehicle hood at the bottom is ignored
            assert (ids[-1] == 1).any() and (train[-1] == 255).any()
    assert cities['train'].isdisjoint(cities['val'])


def test_synthia_ids_agree_with_label_maps():
    # the SYNTHIA converter must send each drawn class to the trainId its
    # Cityscapes label id has
    for cs_id, syn_id in synthetic.SYNTHIA_ID_OF_CITYSCAPES_ID.items():
        assert label_maps.SYNTHIA_ID_TO_TRAINID[syn_id] == ID_TO_TRAIN[cs_id]


def test_mmseg_cityscapes_dataset_loads(gta_root):
    from mmcv.transforms import LoadImageFromFile
    from mmseg.datasets import CityscapesDataset
    from mmseg.datasets.transforms import LoadAnnotations
    ds = CityscapesDataset(
        data_root=osp.join(gta_root, 'cityscapes'),
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=[LoadImageFromFile(), LoadAnnotations()])
    assert len(ds) == KW['num_target_train']
    sample = ds[0]
    assert sample['img'].shape == SIZE + (3, )
    seg = sample['gt_seg_map']
    assert seg.shape == SIZE
    expected = cv2.imread(
        sample['seg_map_path'].replace('labelTrainIds', 'labelIds'),
        cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(seg, ID_TO_TRAIN[expected])
    assert {0, 1, 2, 10, 13} <= set(np.unique(seg).tolist())


def test_deterministic_bytes(gta_root, tmp_path):
    again = str(tmp_path / 'again')
    make_synthetic_da(again, **KW)
    assert _tree_digest(again) == _tree_digest(gta_root)
    other = str(tmp_path / 'other')
    make_synthetic_da(other, **dict(KW, seed=1))
    assert _tree_digest(other) != _tree_digest(gta_root)
    # more images leave the first ones unchanged
    more = str(tmp_path / 'more')
    make_synthetic_da(more, **dict(KW, num_source=KW['num_source'] + 2))
    for name in ('00001.png', '00006.png'):
        for sub in ('images', 'labels'):
            with open(osp.join(more, 'gta5', sub, name), 'rb') as f1, \
                    open(osp.join(gta_root, 'gta5', sub, name), 'rb') as f2:
                assert f1.read() == f2.read()


def _scenes(domain, n, shape=SIZE):
    return [
        render_scene(shape, domain, np.random.default_rng(i)) for i in range(n)
    ]


def _class_means(scenes, classes):
    means = {}
    for c in classes:
        pix = np.concatenate([img[lab == c] for img, lab, _ in scenes])
        means[c] = pix.astype(float).mean(0)
    return means


def _nearest_mean_accuracy(means, scenes):
    classes = sorted(means)
    centres = np.stack([means[c] for c in classes])
    img = np.concatenate([i.reshape(-1, 3)
                          for i, _, _ in scenes]).astype(float)
    lab = np.concatenate([l.ravel() for _, l, _ in scenes])
    keep = np.isin(lab, classes)
    dist = ((img[keep][:, None] - centres[None])**2).sum(-1)
    return float((np.asarray(classes)[dist.argmin(1)] == lab[keep]).mean())


def test_domain_shift_is_real_and_classes_learnable():
    src, tgt = _scenes('source', 12), _scenes('target', 12)
    stuff = [ROAD, SIDEWALK, BUILDING, VEG, SKY, CAR]
    m_src, m_tgt = _class_means(src, stuff), _class_means(tgt, stuff)
    # per-class colour separates classes inside each domain ...
    acc_src = _nearest_mean_accuracy(m_src, src)
    acc_tgt = _nearest_mean_accuracy(m_tgt, tgt)
    assert acc_src > 0.9 and acc_tgt > 0.6
    # ... source colours transfer only partly to the target: worse than the
    # target's own, far better than chance (1/6)
    acc_cross = _nearest_mean_accuracy(m_src, tgt)
    assert 0.35 < acc_cross < acc_tgt - 0.1

    # the source road is flat, the target road textured and noisy (median
    # absolute difference of horizontal neighbours, robust to lane marks)
    def road_noise(scenes):
        vals = []
        for img, lab, _ in scenes:
            g = img.astype(float).mean(-1)
            both = (lab[:, 1:] == ROAD) & (lab[:, :-1] == ROAD)
            vals.append(np.median(np.abs(np.diff(g, axis=1))[both]))
        return np.mean(vals)

    assert road_noise(tgt) > 2 * road_noise(src)


def test_some_classes_keep_their_colour_family_others_change():
    classes = [ROAD, BUILDING, POLE, SIGN, VEG, SKY, PERSON, CAR]
    m_src = _class_means(_scenes('source', 40), classes)  # persons are rare
    m_tgt = _class_means(_scenes('target', 12), classes)
    for means in (m_src, m_tgt):
        r, g, b = means[SKY]
        assert b > r + 30 and b > g  # blue sky
        r, g, b = means[VEG]
        assert g > r + 20 and g > b + 20  # green vegetation
        assert np.ptp(means[ROAD]) < 20 and means[ROAD].mean() < 120  # grey
    shift = {c: np.linalg.norm(m_src[c] - m_tgt[c]) for c in classes}
    # what keeps its family still moves (lighting, texture) ...
    assert 30 < shift[ROAD] < 80 and shift[VEG] < 100 and shift[SKY] < 100
    # ... and some classes change colour altogether
    for c in (POLE, SIGN, PERSON, CAR):
        assert shift[c] > 100, (c, shift[c])
    assert shift[BUILDING] > 60


def _instance_colours(scenes, cls, min_pixels=20):
    out = []
    for img, lab, inst in scenes:
        for i in np.unique(inst[lab == cls]):
            mask = (inst == i) & (lab == cls)
            if mask.sum() >= min_pixels:
                out.append(img[mask].astype(float).mean(0))
    return np.asarray(out)


def test_target_cars_come_in_more_colours():
    src = _instance_colours(_scenes('source', 25), CAR)
    tgt = _instance_colours(_scenes('target', 12), CAR)
    assert len(src) >= 10 and len(tgt) >= 10
    assert tgt.std(0).mean() > 2 * src.std(0).mean()


def test_person_rare_in_source_common_in_target_and_cars_smaller():
    from skimage.measure import label as cc_label
    src, tgt = _scenes('source', 25), _scenes('target', 25)

    def image_freq(scenes, c):
        return np.mean([(lab == c).any() for _, lab, _ in scenes])

    def pixel_share(scenes, c):
        return np.mean([(lab == c).mean() for _, lab, _ in scenes])

    assert image_freq(src, PERSON) <= 0.3
    assert image_freq(tgt, PERSON) >= 0.8
    assert pixel_share(tgt, PERSON) > 5 * pixel_share(src, PERSON)

    def car_instances(scenes):
        areas = []
        for _, lab, inst in scenes:
            ids = np.unique(inst[lab == CAR])
            areas += [int(((inst == i) & (lab == CAR)).sum()) for i in ids]
        return len(areas) / len(scenes), np.median(areas)

    n_src, area_src = car_instances(src)
    n_tgt, area_tgt = car_instances(tgt)
    assert n_tgt > n_src and area_tgt < area_src
    # instance ids agree with connected blobs of the car class (sanity)
    _, lab, inst = tgt[0]
    assert cc_label(lab == CAR).max() <= len(np.unique(inst[lab == CAR]))


def test_render_scene_deterministic_and_checks_domain():
    a = render_scene(SIZE, 'target', np.random.default_rng(3))
    b = render_scene(SIZE, 'target', np.random.default_rng(3))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match='domain'):
        render_scene(SIZE, 'cityscapes', np.random.default_rng(0))


def test_preview_grid(gta_root):
    prev = cv2.imread(osp.join(gta_root, 'preview.png'))
    h, w = SIZE
    n_cols = min(4, KW['num_source'], KW['num_target_train'])
    assert prev.shape[0] == 4 * (h + 2)
    assert prev.shape[1] > n_cols * w


def _mtimes(root):
    return {
        p: os.stat(p).st_mtime_ns
        for p in glob.glob(osp.join(root, '**', '*'), recursive=True)
    }


def test_idempotent_overwrite_and_rebuild(tmp_path):
    root = str(tmp_path / 'ds')
    kw = dict(
        num_source=2, num_target_train=1, num_target_val=1, size=(32, 64))
    assert make_synthetic_da(root, **kw)['created']
    digest = _tree_digest(root)
    marker = osp.join(root, 'gta5', 'labels', 'extra_from_converter.png')
    open(marker, 'w').close()
    before = _mtimes(root)
    info = make_synthetic_da(root, **kw)
    assert not info['created'] and _mtimes(root) == before
    # overwrite rebuilds: the marker is gone, the content is the same
    assert make_synthetic_da(root, overwrite=True, **kw)['created']
    assert not osp.exists(marker) and _tree_digest(root) == digest
    # other parameters rebuild a dataset of ours
    assert make_synthetic_da(root, **dict(kw, seed=5))['created']
    assert _tree_digest(root) != digest
    # an incomplete dataset of ours is rebuilt
    os.remove(osp.join(root, 'gta5', 'images', '00001.png'))
    assert make_synthetic_da(root, **dict(kw, seed=5))['created']
    assert osp.isfile(osp.join(root, 'gta5', 'images', '00001.png'))
    # no temporaries are left next to root
    assert sorted(os.listdir(tmp_path)) == ['ds']


def test_refuses_foreign_directory(tmp_path):
    root = tmp_path / 'mine'
    root.mkdir()
    (root / 'precious.txt').write_text('keep me')
    for overwrite in (False, True):
        with pytest.raises(FileExistsError, match='synthetic_meta.json'):
            make_synthetic_da(
                str(root),
                num_source=1,
                num_target_train=1,
                num_target_val=1,
                size=(32, 32),
                overwrite=overwrite)
    assert (root / 'precious.txt').read_text() == 'keep me'
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert make_synthetic_da(
        str(empty),
        num_source=1,
        num_target_train=1,
        num_target_val=1,
        size=(32, 32))['created']


def test_failed_run_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):

    def boom(*args, **kwargs):
        raise RuntimeError('killed')

    from mmseg_ada.testing.synthetic import build
    monkeypatch.setattr(build, 'write_preview', boom)
    root = str(tmp_path / 'ds')
    kw = dict(
        num_source=2, num_target_train=1, num_target_val=1, size=(32, 64))
    with pytest.raises(RuntimeError, match='killed'):
        make_synthetic_da(root, **kw)
    assert os.listdir(tmp_path) == []  # neither root nor temporaries
    monkeypatch.undo()
    assert make_synthetic_da(root, **kw)['created']
    assert osp.isfile(osp.join(root, 'synthetic_meta.json'))


@pytest.mark.parametrize('kwargs, field', [
    (dict(num_source=0), 'num_source'),
    (dict(num_target_val=-1), 'num_target_val'),
    (dict(size=(16, 64)), 'size'),
    (dict(size=(64, )), 'size'),
    (dict(seed=-2), 'seed'),
    (dict(source_format='cityscapes'), 'source_format'),
])
def test_bad_arguments(tmp_path, kwargs, field):
    with pytest.raises(ValueError, match=field):
        make_synthetic_da(str(tmp_path / 'x'), **kwargs)
    assert not osp.exists(tmp_path / 'x')


def test_cli(tmp_path, monkeypatch, capsys):
    import importlib.util
    tool = osp.join(REPO, 'tools', 'make_demo_data.py')
    spec = importlib.util.spec_from_file_location('make_demo_data', tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    root = str(tmp_path / 'cli')
    monkeypatch.setattr(sys, 'argv', [
        tool, root, '--num-source', '2', '--num-target-train', '2',
        '--num-target-val', '1', '--height', '32', '--width', '64', '--seed',
        '4', '--source-format', 'synthia'
    ])
    module.main()
    assert 'wrote' in capsys.readouterr().out
    assert len(os.listdir(osp.join(root, 'synthia', 'RGB'))) == 2
    assert len(_target_pairs(root, 'train')) == 2
    module.main()  # second run keeps the dataset
    assert 'kept existing' in capsys.readouterr().out


@pytest.mark.slow
def test_runtime_package_does_not_import_testing_or_tools():
    import json
    import subprocess

    from tests.utils import PYTHON
    code = ('import json, sys\n'
            'import mmseg_ada\n'
            'mods = [m for m in sys.modules if m.startswith(('
            '"mmseg_ada.testing", "tools", "_convert"))]\n'
            'print(json.dumps(mods))\n')
    res = subprocess.run([PYTHON, '-c', code],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1]) == []
