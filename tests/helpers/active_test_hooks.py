"""Test-only fault injection and recording for the active protocol.

* ``CrashAtIterHook(at_iter)``: kills the process (``os._exit``) right after
  iteration ``at_iter`` and its checkpoint, like a power cut.
* ``RecordBatchHook``: writes ``<work_dir>/batches_rank<r>.json``: per
  training iteration, a digest of the batch (images and labels of every
  stream), the labelled target pixels it holds and the target images.
* env ``ADA_TEST_CRASH_COMMIT=<round>:<step>``: kills the process inside
  the label store's commit of that round, after that commit step.
"""
import hashlib
import json
import os
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from mmseg_ada.active.stores import BaseLabelStore


@HOOKS.register_module()
class CrashAtIterHook(Hook):
    priority = 'LOWEST'  # after the CheckpointHook

    def __init__(self, at_iter: int) -> None:
        self.at_iter = int(at_iter)

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.at_iter:
            os._exit(3)


def _digest(batch) -> str:
    h = hashlib.sha1()
    for s in batch.get('inputs', []):
        h.update(s.numpy().tobytes())
    for s in batch.get('data_samples', []):
        gt = getattr(s, 'gt_sem_seg', None)
        if gt is not None:
            h.update(gt.data.numpy().tobytes())
    return h.hexdigest()


@HOOKS.register_module()
class RecordBatchHook(Hook):
    """Record what every training iteration was fed."""

    def __init__(self) -> None:
        self.records = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        rec = {name: _digest(b) for name, b in data_batch.items()}
        labeled = 0
        for s in data_batch.get('target', {}).get('data_samples', []):
            labeled += int((s.gt_sem_seg.data != 255).sum())
        rec['target_labeled'] = labeled
        rec['target_stems'] = sorted(
            osp.basename(s.img_path).replace('_leftImg8bit.png', '')
            for s in data_batch.get('target', {}).get('data_samples', []))
        self.records[str(runner.iter)] = rec

    def after_train(self, runner) -> None:
        path = osp.join(runner.work_dir, f'batches_rank{get_rank()}.json')
        old = {}
        if osp.isfile(path):
            with open(path) as f:
                old = json.load(f)
        old.update(self.records)
        with open(path, 'w') as f:
            json.dump(old, f, indent=1)


_spec = os.environ.get('ADA_TEST_CRASH_COMMIT')
if _spec:
    _round, _step = _spec.split(':')

    def _committing_round() -> int:
        state = os.path.join(os.environ['ADA_TEST_WORK_DIR'], 'active',
                             'state.json')
        if not os.path.isfile(state):
            return 1
        with open(state) as f:
            return int(json.load(f)['round']) + 1

    def _crash(step: str) -> None:
        if step == _step and _committing_round() == int(_round):
            os._exit(4)

    BaseLabelStore._commit_hook = staticmethod(_crash)
