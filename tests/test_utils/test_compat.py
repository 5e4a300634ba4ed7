"""The torch>=2.6 checkpoint fix; numpy is left alone."""
import collections
import json
import subprocess

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

import mmseg_ada  # noqa: F401  (applies the fix)
from mmseg_ada.utils import compat
from tests.utils import PYTHON, REPO


class _NotAllowed:
    pass


def _mmengine_like_checkpoint():
    hub = MessageHub.get_instance('test_compat')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/lr', 0.01)
    hub.update_info('iter', np.int64(3))
    return dict(
        meta=dict(
            epoch=0,
            iter=3,
            seed=np.int64(7),
            dtype=np.dtype('float32'),
            arr=np.arange(3, dtype=np.float32)),
        state_dict=collections.OrderedDict(w=torch.ones(2)),
        message_hub=hub.state_dict())


def test_torch_load_default_weights_only_reads_mmengine_checkpoint(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    # torch.load's default (weights_only=True since torch 2.6), as mmengine
    # 0.10.7 calls it
    ckpt = torch.load(path)
    assert ckpt['meta']['iter'] == 3
    assert ckpt['meta']['seed'] == 7
    assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)
    ckpt2 = _load_checkpoint(str(path), map_location='cpu')
    assert torch.equal(ckpt2['state_dict']['w'], torch.ones(2))


def test_arbitrary_classes_are_still_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': _NotAllowed()}, path)
    with pytest.raises(Exception, match='weights_only|Unsupported global'):
        torch.load(path)


def test_allow_list_is_small_and_explicit():
    allowed = compat.safe_checkpoint_globals()
    assert HistoryBuffer in allowed
    assert all(
        getattr(o, '__module__', '').split('.')[0] in ('numpy', 'mmengine')
        for o in allowed if o is not bytes)


def test_empty_and_full_numpy_arrays_load(tmp_path):
    # LADA's anchor set keeps numpy arrays (some empty) in the checkpoint;
    # torch pickles with protocol 2, which writes an empty array's data as
    # bytes(): a resumed LAS+LAA run failed on it
    path = tmp_path / 'anchors.pth'
    state = dict(
        add_ids=np.zeros(0, dtype=np.int64),
        nbr=np.arange(6, dtype=np.int32).reshape(2, 3),
        labels=np.array([], dtype=np.float32))
    torch.save(dict(paa_anchor_set=state), path)
    got = torch.load(path)['paa_anchor_set']
    for k, v in state.items():
        assert got[k].dtype == v.dtype and np.array_equal(got[k], v)


def test_apply_is_idempotent(monkeypatch):
    """Applied once on import; later calls register nothing again."""
    import torch.serialization as ser
    calls = []
    monkeypatch.setattr(ser, 'add_safe_globals',
                        lambda globs: calls.append(globs))
    compat.apply()
    compat.apply()
    assert compat._APPLIED and calls == []
    # and what the first call registered is in force
    assert HistoryBuffer in torch.serialization.get_safe_globals()


# names numpy removed (1.24: the builtin aliases; 2.x: the others), which
# the old compat module restored; importing mmseg_ada must not add them
_REMOVED = ('float', 'int', 'object', 'str', 'NaN', 'Inf', 'in1d', 'product',
            'trapz')


@pytest.mark.slow
def test_import_does_not_monkeypatch_numpy():
    code = ('import json, numpy as np\n'
            f'names = {_REMOVED!r}\n'
            'before = [n for n in names if n in vars(np)]\n'
            'import mmseg_ada\n'
            'after = [n for n in names if n in vars(np)]\n'
            'print(json.dumps(dict(before=before, after=after)))\n')
    res = subprocess.run([PYTHON, '-c', code],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out['after'] == out['before']
    assert not {'float', 'int', 'object', 'str'} & set(out['after'])
    for name in ('float', 'int', 'object', 'str'):  # in this process too
        with pytest.raises(AttributeError):
            getattr(np, name)


def test_getattr_stand_in_refuses_anything_but_history_buffer(tmp_path):

    class Evil:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = tmp_path / 'evil_getattr.pth'
    torch.save({'x': Evil()}, path)
    with pytest.raises(Exception, match='only public methods'):
        torch.load(path)
    with pytest.raises(RuntimeError):
        compat.history_buffer_getattr(HistoryBuffer, '__init__')
    assert compat.history_buffer_getattr(HistoryBuffer,
                                         'mean') is HistoryBuffer.mean
