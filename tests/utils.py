"""Helpers shared by the tests (import as ``from tests.utils import ...``)."""
import os
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PYTHON = sys.executable
DEMO_CFG = osp.join(
    REPO, 'configs', 'demo',
    'deeplabv3plus_r18-d8_4xb4-600_demo-gta5-cityscapes-128x256.py')


def run_tool(args, cwd=REPO, env=None, timeout=600):
    """Run a repo tool with the venv's python; return the CompletedProcess."""
    import subprocess
    full_env = dict(os.environ)
    # one intra-op thread per tool process: tiny models gain nothing from
    # more, and OpenMP spin-waiting makes runs crawl on a busy machine
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env.update(env or {})
    full_env['PYTHONPATH'] = os.pathsep.join([
        REPO,
        osp.join(REPO, 'tests', 'helpers'),
        full_env.get('PYTHONPATH', '')
    ])
    return subprocess.run(
        args,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
        capture_output=True,
        text=True)
