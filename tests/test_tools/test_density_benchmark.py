"""benchmarks/density.py ``--tol-study``: the classes it studies and what
it compares (each tolerance against the exact fit of the same class and
seed)."""
import importlib.util
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from tests.utils import REPO

pytestmark = pytest.mark.slow  # a fresh interpreter runs the script

SCRIPT = osp.join(REPO, 'benchmarks', 'density.py')
LINE = re.compile(r'\[tol-study\] (\w+) class (\d+) \(([\d,]+) regions, '
                  r'(\d+) components, seed (\d+)\) (\S+)\s*: +[\d.]+s cpu, +'
                  r'(\d+) EM iterations, held-out LL (-?[\d.]+) '
                  r'\(([+-][\d.]+)% vs exact\)')


def _bench():
    spec = importlib.util.spec_from_file_location('bench_density', SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_tol_study_compares_each_tolerance_with_the_exact_fit():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    out = subprocess.run([
        sys.executable, SCRIPT, '--quick', '--tol-study', '0.1', '1e9',
        '--study-seeds', '2'
    ],
                         capture_output=True,
                         text=True,
                         env=env,
                         cwd=REPO,
                         timeout=300,
                         check=True).stdout
    rows = [m.groups() for m in map(LINE.search, out.splitlines()) if m]
    # --quick: 4 classes; the largest and the 4 // 4 = 1st by size, per
    # domain, 2 seeds, 3 fits (exact + 2 tolerances)
    assert len(rows) == 2 * 2 * 2 * 3
    gen = _bench().SyntheticDomains(4, 128, seed=0)
    for domain, n in (('source', 12000), ('target', 3000)):
        counts = gen.counts(n)
        mine = [r for r in rows if r[0] == domain]
        assert {int(r[1]) for r in mine} == {0, 1}  # share 0.8 ** c
        for r in mine:
            assert int(r[2].replace(',', '')) == counts[int(r[1])]
    for i in range(0, len(rows), 3):
        exact, tight, loose = rows[i:i + 3]
        assert exact[5] == 'exact'
        assert (tight[5], loose[5]) == ('tol=0.1', 'tol=1e+09')
        assert exact[:5] == tight[:5] == loose[:5]
        # tol = 1e9 stops after EM's first check (2 iterations); the
        # difference printed is the one between the log-likelihoods
        assert int(loose[6]) == 2 <= int(exact[6])
        ll_exact, ll_loose = float(exact[7]), float(loose[7])
        diff = 100 * (ll_loose - ll_exact) / abs(ll_exact)
        assert abs(diff - float(loose[8])) < 0.01
    # two seeds: seed 0 and seed 1 fits of every class
    assert {r[4] for r in rows} == {'0', '1'}


def test_full_run_checks_the_fastest_slice_equal_variant_at_full_size():
    """``--quick`` without ``--slice-only``: the early-stopping variant is
    refitted on everything, compared with the exact path per domain, and
    the last line is the faster of the two paths equal on both checks."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    out = subprocess.run([sys.executable, SCRIPT, '--quick'],
                         capture_output=True,
                         text=True,
                         env=env,
                         cwd=REPO,
                         timeout=300,
                         check=True).stdout.splitlines()
    fits = [
        ln for ln in out if re.match(r'\[full\] \S+ fit (source|target)', ln)
    ]
    # the variant first, then the exact path, both domains each
    assert [ln.split()[1] for ln in fits] == ['torch+tol'] * 2 + ['torch'] * 2
    checks = [
        ln for ln in out
        if re.match(r'\[full\] torch\+tol (source|target):', ln)
    ]
    assert len(checks) == 2
    assert all('held-out LL vs the exact path' in ln for ln in checks)
    exact = float(
        next(ln for ln in out
             if ln.startswith('speedup (exact torch path):')).split()[-1])
    chosen = next(ln for ln in out if ln.startswith('speedup (fastest'))
    last = float(out[-1].split()[-1])
    assert out[-1].startswith('speedup: ')
    if all(ln.endswith(': equal') for ln in checks) and 'torch+tol' in chosen:
        assert last >= exact
    else:
        assert last == exact and chosen.endswith('torch):')
