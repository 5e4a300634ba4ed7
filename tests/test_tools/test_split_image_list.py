"""tools/dataset_converters/split_image_list.py: seeded disjoint halves,
optionally per class, written atomically, never silently replaced."""
import os
import os.path as osp

import pytest

from mmseg_ada.datasets.split_list import default_split_paths, split_image_list
from tests.utils import PYTHON, REPO, run_tool

TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'split_image_list.py')


def _list(tmp_path, n=11, classes=3):
    path = tmp_path / 'clipart list.txt'
    lines = [
        f'clipart/c{i % classes}/img {i}.jpg {i % classes}' for i in range(n)
    ]
    path.write_text('\n'.join(lines[:5]) + '\n\n' + '\n'.join(lines[5:]))
    return str(path), lines


def _read(path):
    with open(path) as f:
        return f.read().splitlines()


def test_halves_are_disjoint_seeded_and_keep_lines(tmp_path):
    src, lines = _list(tmp_path)
    out = split_image_list(src, seed=3)
    a, b = default_split_paths(src, 3)
    assert (out['out_a'], out['out_b']) == (a, b)
    assert a.endswith('clipart list_s3_half1.txt')
    ha, hb = _read(a), _read(b)
    assert (len(ha), len(hb)) == (6, 5) == (out['num_a'], out['num_b'])
    assert sorted(ha + hb) == sorted(lines) and not set(ha) & set(hb)
    # original order kept within a half
    assert ha == [x for x in lines if x in ha]
    # same seed: same split, files untouched; another seed: another split
    assert split_image_list(src, seed=3)['written'] is False
    other = split_image_list(src, seed=4)
    assert _read(other['out_a']) != ha
    leftovers = [f for f in os.listdir(tmp_path) if f.endswith('.tmp')]
    assert not leftovers


def test_stratified_split_halves_every_class(tmp_path):
    src, lines = _list(tmp_path, n=20, classes=4)
    out = split_image_list(src, seed=0, stratify=True)
    ha = _read(out['out_a'])
    for c in range(4):
        assert sum(x.endswith(f' {c}') for x in ha) == 3  # ceil(5 / 2)


def test_existing_other_split_is_refused_unless_forced(tmp_path):
    src, _ = _list(tmp_path)
    a = str(tmp_path / 'a.txt')
    b = str(tmp_path / 'b.txt')
    split_image_list(src, seed=0, out_a=a, out_b=b)
    with pytest.raises(ValueError, match='other content'):
        split_image_list(src, seed=1, out_a=a, out_b=b)
    assert split_image_list(
        src, seed=1, out_a=a, out_b=b, force=True)['written']
    with pytest.raises(ValueError, match='must differ'):
        split_image_list(src, out_a=src, out_b=b)
    bad = tmp_path / 'bad.txt'
    bad.write_text('img.jpg x\n')
    with pytest.raises(ValueError, match='bad.txt:1'):
        split_image_list(str(bad))


@pytest.mark.slow
def test_command_line(tmp_path):
    src, _ = _list(tmp_path)
    proc = run_tool([PYTHON, TOOL, src, '--seed', '2', '--stratify'])
    assert proc.returncode == 0, proc.stderr
    assert 'half1.txt (6 lines)' in proc.stdout


def test_tool_reports_errors(tmp_path, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location('split_tool', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([str(tmp_path / 'missing.txt')]) == 2
    assert 'not found' in capsys.readouterr().err
