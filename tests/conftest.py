"""Shared fixtures: the miniature synthetic GTA5/Cityscapes pair."""
import os
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def synthetic_da(tmp_path_factory):
    """A tiny synthetic GTA5 -> Cityscapes pair, GTA5 labels converted."""
    from mmseg_ada.datasets.converters import convert_gta5
    from mmseg_ada.datasets.synthetic import make_synthetic_da
    root = str(tmp_path_factory.mktemp('synthetic_da') / 'demo')
    make_synthetic_da(root, num_source=8, num_target_train=6,
                      num_target_val=4, size=(64, 128), seed=0)
    convert_gta5(osp.join(root, 'gta5'), nproc=1)
    return root


def run_tool(args, cwd=REPO, env=None, timeout=600):
    """Run a repo tool with the venv's python; return the CompletedProcess."""
    import subprocess
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env['PYTHONPATH'] = os.pathsep.join(
        [REPO, osp.join(REPO, 'tests', 'helpers'),
         full_env.get('PYTHONPATH', '')])
    return subprocess.run(args, cwd=cwd, env=full_env, timeout=timeout,
                          capture_output=True, text=True)


PYTHON = sys.executable
