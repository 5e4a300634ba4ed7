"""Offline label converters: exact output, resume, stale temporaries, broken
pairs, the CLIs."""
import glob
import os
import os.path as osp
import runpy
import time

import numpy as np
import pytest

from mmseg_ada.datasets.converted_pairs import read_broken_list
from tests.data_fixtures import (CITYSCAPES_EXPECTED, GTA5_IDS,
                                 SYNTHIA_EXPECTED, SYNTHIA_IDS, expected,
                                 make_gta5, make_synthia, read_png,
                                 write_gta5_label, write_rgb)
from tests.utils import PYTHON, REPO, run_tool
from tools.dataset_converters._convert import convert_gta5, convert_synthia

CLI_DIR = osp.join(REPO, 'tools', 'dataset_converters')


def _out(root, stem):
    return osp.join(root, 'labels', stem + '_labelTrainIds.png')


def test_gta5_conversion_exact_and_resumable(tmp_path):
    root = make_gta5(tmp_path / 'gta5', stems=('00001', '00002', '00003'))
    s1 = convert_gta5(root)
    assert sorted(s1.converted) == ['00001', '00002', '00003']
    assert s1.skipped == [] and s1.broken == [] and s1.resized == []
    for k, stem in enumerate(('00001', '00002', '00003')):
        out = read_png(_out(root, stem))
        assert out.dtype == np.uint8 and out.ndim == 2
        np.testing.assert_array_equal(
            out, expected(np.roll(GTA5_IDS, k), CITYSCAPES_EXPECTED))
    # second run: everything up to date
    s2 = convert_gta5(root)
    assert s2.converted == [] and sorted(s2.skipped) == \
        ['00001', '00002', '00003']
    # a deleted output is redone, a source newer than its output too
    os.unlink(_out(root, '00002'))
    future = time.time() + 100
    os.utime(osp.join(root, 'labels', '00003.png'), (future, future))
    s3 = convert_gta5(root)
    assert sorted(s3.converted) == ['00002', '00003']
    assert s3.skipped == ['00001']
    assert osp.isfile(_out(root, '00002'))
    # force redoes everything
    assert len(convert_gta5(root, force=True).converted) == 3
    assert read_broken_list(osp.join(root, 'broken_pairs.txt')) == {}


def test_synthia_conversion_exact_and_parallel(tmp_path):
    stems = ('0000000', '0000001', '0000002', '0000003')
    root = make_synthia(tmp_path / 'synthia', stems=stems)
    summary = convert_synthia(root, nproc=2)
    assert sorted(summary.converted) == list(stems)
    for k, stem in enumerate(stems):
        out = read_png(
            osp.join(root, 'GT', 'LABELS', stem + '_labelTrainIds.png'))
        assert out.dtype == np.uint8 and out.ndim == 2
        np.testing.assert_array_equal(
            out, expected(np.roll(SYNTHIA_IDS, k), SYNTHIA_EXPECTED))
    # lanemarking_as_road changes exactly the lanemarking pixels
    convert_synthia(root, force=True, lanemarking_as_road=True)
    out = read_png(osp.join(root, 'GT', 'LABELS', '0000000_labelTrainIds.png'))
    lane = SYNTHIA_IDS == 22
    assert (out[lane] == 0).all()
    assert (out[~lane] == expected(SYNTHIA_IDS, SYNTHIA_EXPECTED)[~lane]).all()


def test_gta5_size_mismatch_resizes_label_nearest(tmp_path):
    root = make_gta5(tmp_path / 'gta5', stems=('00001', ))
    # image twice the label size (10x16 vs 5x8)
    write_rgb(osp.join(root, 'images', '00002.png'), 10, 16)
    write_gta5_label(osp.join(root, 'labels', '00002.png'), GTA5_IDS)
    summary = convert_gta5(root)
    assert sorted(summary.converted) == ['00001', '00002']
    (stem, why), = summary.resized
    assert stem == '00002' and '8x5' in why and '16x10' in why
    assert 'resized' in summary.format()
    out = read_png(_out(root, '00002'))
    want = expected(GTA5_IDS, CITYSCAPES_EXPECTED)
    np.testing.assert_array_equal(out, want.repeat(2, 0).repeat(2, 1))
    # the original label is left untouched
    from PIL import Image
    assert Image.open(osp.join(root, 'labels', '00002.png')).size == (8, 5)


def test_broken_pairs_are_listed_with_reasons(tmp_path):
    root = make_gta5(tmp_path / 'gta5', stems=('00001', ))
    img_dir, lab_dir = osp.join(root, 'images'), osp.join(root, 'labels')
    # truncated image
    write_rgb(osp.join(img_dir, '00002.png'), 5, 8)
    write_gta5_label(osp.join(lab_dir, '00002.png'), GTA5_IDS)
    data = open(osp.join(img_dir, '00002.png'), 'rb').read()
    open(osp.join(img_dir, '00002.png'), 'wb').write(data[:40])
    # corrupt label
    write_rgb(osp.join(img_dir, '00003.png'), 5, 8)
    open(osp.join(lab_dir, '00003.png'), 'wb').write(b'not a png')
    # id outside the map
    write_rgb(osp.join(img_dir, '00004.png'), 5, 8)
    bad = GTA5_IDS.copy()
    bad[0, 0] = 40
    write_gta5_label(osp.join(lab_dir, '00004.png'), bad)
    # image without label, label without image
    write_rgb(osp.join(img_dir, '00005.png'), 5, 8)
    write_gta5_label(osp.join(lab_dir, '00006.png'), GTA5_IDS)
    # RGB colour label instead of palette ids
    write_rgb(osp.join(img_dir, '00007.png'), 5, 8)
    write_rgb(osp.join(lab_dir, '00007.png'), 5, 8)

    summary = convert_gta5(root)
    assert summary.converted == ['00001']
    reasons = dict(summary.broken)
    assert sorted(reasons) == [
        '00002', '00003', '00004', '00005', '00006', '00007'
    ]
    assert 'images/00002.png' in reasons['00002']
    assert 'unreadable' in reasons['00002']
    assert 'labels/00003.png' in reasons['00003']
    assert 'labels/00004.png' in reasons['00004'] and '40' in reasons['00004']
    assert 'has no label' in reasons['00005']
    assert 'has no image' in reasons['00006']
    assert 'mode RGB' in reasons['00007']
    assert not any(osp.exists(_out(root, s)) for s in reasons)
    listed = read_broken_list(osp.join(root, 'broken_pairs.txt'))
    assert listed.keys() == reasons.keys()
    assert listed['00004'] == reasons['00004']
    # once repaired, a rerun converts it and drops it from the list
    write_gta5_label(osp.join(lab_dir, '00004.png'), GTA5_IDS)
    summary = convert_gta5(root)
    assert summary.converted == ['00004']
    assert '00004' not in read_broken_list(osp.join(root, 'broken_pairs.txt'))


def test_header_only_check_misses_truncation_but_full_check_finds_it(tmp_path):
    root = make_gta5(tmp_path / 'gta5', stems=('00001', ))
    path = osp.join(root, 'images', '00001.png')
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) - 20])  # cut inside IDAT/IEND
    # header only (--no-check-images): the size is readable, pair converted
    assert convert_gta5(root, check_images=False).converted == ['00001']
    # full decode (default): listed as broken, so the dataset leaves it out
    summary = convert_gta5(root, force=True)
    assert dict(summary.broken).keys() == {'00001'}
    assert summary.converted == []


def test_missing_folder_raises(tmp_path):
    (tmp_path / 'gta5' / 'images').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r'gta5/labels'):
        convert_gta5(str(tmp_path / 'gta5'))
    with pytest.raises(FileNotFoundError, match=r'synthia/RGB'):
        convert_synthia(str(tmp_path / 'synthia'))


def test_stale_temp_files_are_removed(tmp_path):
    root = make_gta5(tmp_path / 'gta5', stems=('00001', ))
    stale = osp.join(root, 'labels', '.00001_labelTrainIds.png.abc123.tmp')
    open(stale, 'wb').write(b'\x89PNG half')
    summary = convert_gta5(root)
    assert summary.removed_tmp == 1 and not osp.exists(stale)
    assert glob.glob(osp.join(root, 'labels', '.*')) == []


def test_cli_scripts(tmp_path, capsys, monkeypatch):
    # as when run as scripts: their own folder is on sys.path
    monkeypatch.syspath_prepend(CLI_DIR)
    g = runpy.run_path(osp.join(CLI_DIR, 'gta5.py'))
    s = runpy.run_path(osp.join(CLI_DIR, 'synthia.py'))
    with pytest.raises(SystemExit) as e:
        g['main'](['--help'])
    assert e.value.code == 0
    assert '--nproc' in capsys.readouterr().out
    root = make_gta5(tmp_path / 'gta5', stems=('00001', ))
    assert g['main']([root, '--nproc', '1']) == 0
    assert osp.isfile(_out(root, '00001'))
    assert s['main']([str(tmp_path / 'nothing')]) == 2
    assert 'nothing/RGB' in capsys.readouterr().err
    sroot = make_synthia(tmp_path / 'synthia', stems=('0000000', ))
    assert s['main']([sroot, '--no-check-images',
                      '--lanemarking-as-road']) == 0
    out = read_png(
        osp.join(sroot, 'GT', 'LABELS', '0000000_labelTrainIds.png'))
    assert (out[SYNTHIA_IDS == 22] == 0).all()


@pytest.mark.slow
def test_cli_runs_as_a_script_with_two_processes(tmp_path):
    root = make_gta5(tmp_path / 'gta5', stems=('00001', '00002'))
    res = run_tool(
        [PYTHON, osp.join(CLI_DIR, 'gta5.py'), root, '--nproc', '2'])
    assert res.returncode == 0, res.stderr
    for k, stem in enumerate(('00001', '00002')):
        np.testing.assert_array_equal(
            read_png(_out(root, stem)),
            expected(np.roll(GTA5_IDS, k), CITYSCAPES_EXPECTED))
