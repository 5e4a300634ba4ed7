"""Engine components on their own: the restarting poly schedule, the
registries, and what importing a strategy imports."""
import subprocess
import sys

import pytest
import torch

from mmseg_ada.engine.schedulers import RestartPolyLR
from tests.utils import REPO


def test_restart_poly_lr_restarts_every_round():
    """7d: lr_t = base * (1 - t / (P - 1)) ** 0.9 within each period."""
    w = torch.nn.Parameter(torch.zeros(1))
    h = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD(
        [dict(params=[w], lr=2.5e-4),
         dict(params=[h], lr=2.5e-3)], lr=2.5e-4)
    sched = RestartPolyLR(opt, periods=[4, 4, 3], power=0.9)
    seen = []
    for _ in range(11):
        seen.append([g['lr'] for g in opt.param_groups])
        opt.step()
        sched.step()
    for t, (lw, lh) in enumerate(seen):
        start, period = ((0, 4) if t < 4 else (4, 4) if t < 8 else (8, 3))
        f = (1 - (t - start) / (period - 1))**0.9
        assert lw == pytest.approx(2.5e-4 * f, abs=1e-12)
        assert lh == pytest.approx(2.5e-3 * f, abs=1e-11)  # head x10 kept
    assert seen[4][0] == pytest.approx(2.5e-4)  # back to the base lr
    assert seen[3][0] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match='periods'):
        RestartPolyLR(opt, periods=[])


_IMPORTS = '''
import sys, traceback
bad = []
class Spy:
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('sklearn', 'scipy'):
            # the module whose code runs the import statement
            files = [f.filename for f in traceback.extract_stack()[:-1]
                     if not f.filename.startswith('<')]
            if files and '/mmseg_ada/' in files[-1]:
                bad.append((name, files[-1]))
        return None
sys.meta_path.insert(0, Spy())
import mmseg_ada
from mmseg_ada.active.strategies import (  # noqa: F401
    aada, adeada, badge, clue, coreset, entropy, las, random, sage, sdm)
from mmseg_ada.registry import STRATEGIES, build_active
build_active(dict(type='Entropy'), STRATEGIES)
build_active(dict(type='ADeADA'), STRATEGIES)
print('sklearn' in sys.modules)
assert not bad, bad
'''


@pytest.mark.slow
def test_importing_strategies_imports_no_sklearn_or_scipy():
    """Our code never imports scikit-learn or scipy at import time (scipy
    is still imported by MMSegmentation's own transforms)."""
    res = subprocess.run([sys.executable, '-c', _IMPORTS],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip().splitlines()[-1] == 'False'


@pytest.mark.slow
def test_import_does_not_patch_numpy():
    res = subprocess.run([
        sys.executable, '-c', 'import numpy as np, mmseg_ada; '
        "print(hasattr(np, 'float'), hasattr(np, 'product'))"
    ],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == 'False False'


def test_selector_settings_are_checked_when_the_loop_is_built():
    """A selector beside online acquisition, a budget beside it, or a
    selector without its required fields: clear errors, no TypeError."""
    import pytest

    from mmseg_ada.engine.active_loop import _check_selector_cfg
    strategy = dict(strategy=dict(type='Entropy'))
    with pytest.raises(ValueError, match='selector would never be used'):
        _check_selector_cfg(dict(budget=0.1), strategy, None)
    with pytest.raises(ValueError, match='budget would never be used'):
        _check_selector_cfg(dict(budget=0.1), None, dict(per_round=0.1))
    with pytest.raises(
            ValueError, match=r"lacks \['units', 'pool_dataloader'\]"):
        _check_selector_cfg(None, strategy, dict(per_round=0.1))
    _check_selector_cfg(dict(budget=0.1), None, None)
    _check_selector_cfg(None, dict(strategy, units={}, pool_dataloader={}),
                        dict(total=5))
