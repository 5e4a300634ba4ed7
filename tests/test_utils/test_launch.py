"""setup_launcher: what tools/train.py changes in a config per machine."""
import pytest
import torch
from mmengine.config import Config

from mmseg_ada.utils.launch import setup_launcher


def test_gpu_keeps_mmengine_wrapping_unless_our_wrapper_is_named(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = Config(dict(model=dict()))
    setup_launcher(cfg, 'pytorch')
    assert cfg.launcher == 'pytorch' and 'model_wrapper_cfg' not in cfg
    # a config naming ADADistributedDataParallel (the classification
    # runtime: sync_buffers=True) gets mmengine's own defaults, and the
    # top-level find_unused_parameters is not lost
    cfg = Config(
        dict(
            find_unused_parameters=True,
            model_wrapper_cfg=dict(
                type='ADADistributedDataParallel', sync_buffers=True)))
    setup_launcher(cfg, 'pytorch')
    assert cfg.model_wrapper_cfg == dict(
        type='ADADistributedDataParallel',
        sync_buffers=True,
        broadcast_buffers=False,
        find_unused_parameters=True)


def test_cpu_without_torchrun_names_the_missing_variable(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.delenv('MASTER_ADDR', raising=False)
    monkeypatch.delenv('RANK', raising=False)
    with pytest.raises(RuntimeError, match='needs CUDA'):
        setup_launcher(Config(dict()), 'slurm')
    with pytest.raises(RuntimeError, match='RANK'):
        setup_launcher(Config(dict()), 'pytorch')
    cfg = Config(dict(model_wrapper_cfg=dict(type='Other')))
    setup_launcher(cfg, 'none')
    assert cfg.model_wrapper_cfg == dict(type='Other')


def test_close_distributed_ends_the_group_and_is_a_no_op_without_one(tmp_path):
    """tools/train.py and tools/test.py end the gloo group themselves."""
    import torch.distributed as dist

    from mmseg_ada.utils import close_distributed
    assert not dist.is_initialized()
    assert close_distributed() is False  # nothing to end: no error
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    try:
        assert close_distributed() is True
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


_END = """
import atexit, os, sys, threading, time
sys.path.insert(0, {repo!r})
import torch.distributed as dist
from mmseg_ada.utils import end_process
out, status, distributed = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1'
if distributed:  # a real (1-process) gloo group
    dist.init_process_group('gloo', init_method='file://' + out + '.store',
                            rank=0, world_size=1)
atexit.register(lambda: open(out + '.atexit', 'w').write(
    f'ran, group left: {{dist.is_initialized()}}'))
def late():
    time.sleep(0.3)
    open(out + '.thread', 'w').write('joined')
threading.Thread(target=late).start()
from concurrent.futures import ThreadPoolExecutor
idle = ThreadPoolExecutor(1)  # never shut down: its worker waits
idle.submit(time.sleep, 0).result()
print('buffered', end='')  # flushed by end_process
end_process(status)
"""


@pytest.mark.parametrize('distributed', [False, True])
def test_end_process_exits_with_the_status_after_threads_and_atexit(
        tmp_path, distributed):
    """After a distributed run the process ends the group and leaves by
    os._exit, but only once what the interpreter does at exit is done:
    non-daemon threads joined (an idle executor's worker stopped, not
    waited for forever), atexit handlers run, output flushed."""
    import subprocess
    import sys

    from tests.utils import REPO
    script = tmp_path / 'end.py'
    script.write_text(_END.format(repo=REPO))
    out = str(tmp_path / 'o')
    res = subprocess.run(
        [sys.executable,
         str(script), out, '75', '1' if distributed else '0'],
        capture_output=True,
        text=True,
        timeout=120)
    assert res.returncode == 75, res.stderr
    assert res.stdout == 'buffered'
    assert open(out + '.thread').read() == 'joined'
    # the group was ended before the atexit handlers ran
    assert open(out + '.atexit').read() == 'ran, group left: False'
