"""A test-only hook: each rank writes a digest of its model after training."""
import hashlib
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


@HOOKS.register_module()
class DumpStateHook(Hook):
    """Write ``<work_dir>/state_rank<r>.json``: per-tensor sha1 digests
    (and, with LADA's PAA, the anchor set's state under ``paa``)."""

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        digests = {
            k:
            hashlib.sha1(
                v.detach().cpu().contiguous().numpy().tobytes()).hexdigest()
            for k, v in model.state_dict().items()
        }
        from mmseg_ada.datasets import PAADataset
        from mmseg_ada.engine.utils import find_datasets
        for paa in find_datasets(runner.train_loop.dataloader.dataset,
                                 PAADataset)[:1]:
            st = paa.anchor_set.state_dict()
            digests['paa'] = {
                k: (v.tolist() if hasattr(v, 'tolist') else v)
                for k, v in st.items()
            }
        with open(
                osp.join(runner.work_dir, f'state_rank{get_rank()}.json'),
                'w') as f:
            json.dump(digests, f)
