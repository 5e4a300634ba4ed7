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


def train_in_process(cfg, work_dir, *args, cwd=REPO, tool=None):
    """``tools/train.py CFG --work-dir WORK_DIR ARGS`` in this process.

    The tool's own code runs (argument parsing, ``--resume`` handling, the
    runner); what it raises is raised here.  For the checks that a bad
    setting is refused before training: no interpreter start, no import of
    torch and mmseg again.  ``custom_imports`` of ``tests/helpers`` modules
    resolve as in :func:`run_tool`.  ``tool``: another training script with
    that command line (default: ``tools/train.py``).
    """
    import runpy
    helpers = osp.join(REPO, 'tests', 'helpers')
    if helpers not in sys.path:
        sys.path.append(helpers)
    tool = tool or osp.join(REPO, 'tools', 'train.py')
    saved = sys.argv, os.getcwd(), os.environ.get('LOCAL_RANK'), sys.path[:]
    sys.argv = [tool, cfg, '--work-dir', work_dir, *args]
    os.chdir(cwd)
    try:
        runpy.run_path(tool, run_name='__main__')
    finally:
        sys.argv = saved[0]
        os.chdir(saved[1])
        sys.path[:] = saved[3]  # the tool puts the repo first
        if saved[2] is None:
            os.environ.pop('LOCAL_RANK', None)
        else:
            os.environ['LOCAL_RANK'] = saved[2]


def refusal_in_process(cfg, work_dir, *args, error=Exception, **kwargs):
    """:func:`train_in_process` that must raise ``error``; returns its
    message.  A label store the refused run had opened is closed (its
    lock given back), as the end of a process of its own would."""
    import pytest

    from mmseg_ada.active.stores import BaseLabelStore
    with pytest.raises(error) as info:
        train_in_process(cfg, work_dir, *args, **kwargs)
    tb = info.tb
    while tb is not None:
        owner = tb.tb_frame.f_locals.get('self')
        store = getattr(owner, 'store', None)
        if isinstance(store, BaseLabelStore) and not store.readonly:
            store.close()
        tb = tb.tb_next
    return str(info.value)
