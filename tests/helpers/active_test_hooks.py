"""Test-only fault injection for the active protocol (imported by configs).

* ``CrashAtIterHook(at_iter)``: kills the process (``os._exit``) right after
  iteration ``at_iter`` and its checkpoint, like a power cut.
* env ``ADA_TEST_CRASH_COMMIT=<round>:<step>``: kills the process inside
  ``LabelStore.write_round`` of that round, after that commit step.
"""
import os

from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from mmseg_ada.active.label_store import LabelStore


@HOOKS.register_module()
class CrashAtIterHook(Hook):
    priority = 'LOWEST'  # after the CheckpointHook

    def __init__(self, at_iter: int) -> None:
        self.at_iter = int(at_iter)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.at_iter:
            os._exit(3)


_spec = os.environ.get('ADA_TEST_CRASH_COMMIT')
if _spec:
    _round, _step = _spec.split(':')

    def _committing_round() -> int:
        import json
        state = os.path.join(os.environ['ADA_TEST_WORK_DIR'], 'active',
                             'state.json')
        if not os.path.isfile(state):
            return 1
        with open(state) as f:
            return int(json.load(f)['round']) + 1

    def _crash(step: str) -> None:
        if step == _step and _committing_round() == int(_round):
            os._exit(4)

    LabelStore._commit_hook = staticmethod(_crash)
