"""Results over seeds: mean and sample sd per round, bands, the tool."""
import json
import os
import os.path as osp
import re

import pytest

from mmseg_ada.engine.seed_report import (format_seed_table, plot_seed_curves,
                                          seed_table)
from tests.utils import PYTHON, REPO, run_tool


def fake_run(root, scores, start=None, unit='region'):
    """A run's active/ folder with round reports holding ``scores``."""
    act = osp.join(root, 'active')
    os.makedirs(act)
    json.dump(dict(round=len(scores)), open(osp.join(act, 'state.json'), 'w'))
    for k, s in enumerate(scores, start=1):
        json.dump(
            dict(
                round=k,
                score=s,
                score_name='mIoU',
                unit=unit,
                labeled_fraction=0.01 * k),
            open(osp.join(act, f'round_{k}.json'), 'w'))
    if start is not None:
        json.dump(
            dict(score=start, score_name='mIoU'),
            open(osp.join(act, 'start.json'), 'w'))
    return root


def test_mean_and_sample_sd_per_round(tmp_path):
    runs = [
        fake_run(str(tmp_path / f'seed_{s}'), sc, start=st)
        for s, (sc, st) in enumerate([([40.0, 50.0],
                                       30.0), ([44.0, 52.0],
                                               32.0), ([42.0, 57.0], 31.0)])
    ]
    rows = seed_table(runs)
    assert [r['round'] for r in rows] == [0, 1, 2]
    # round 1: 40, 44, 42 -> mean 42, sample sd 2
    assert rows[1]['mean'] == pytest.approx(42.0)
    assert rows[1]['sd'] == pytest.approx(2.0)
    # round 2: 50, 52, 57 -> mean 53, sd sqrt(((3)^2+1+16)/2)=sqrt(13)
    assert rows[2]['mean'] == pytest.approx(53.0)
    assert rows[2]['sd'] == pytest.approx(13**0.5)
    assert rows[2]['labeled_fraction'] == pytest.approx(0.02)
    assert rows[0]['n'] == 3 and rows[0]['mean'] == pytest.approx(31.0)
    text = format_seed_table({'RAND': rows})
    assert ' 42.00 +-  2.00 (3)' in text and '2.00%' in text
    out = plot_seed_curves({'RAND': rows}, str(tmp_path / 'c.png'))
    assert osp.getsize(out) > 1000


def test_runs_that_do_not_match_are_refused(tmp_path):
    a = fake_run(str(tmp_path / 'a'), [40.0, 50.0])
    b = fake_run(str(tmp_path / 'b'), [41.0])
    with pytest.raises(ValueError, match='different numbers of rounds'):
        seed_table([a, b])
    c = fake_run(str(tmp_path / 'c'), [40.0, None])
    d = fake_run(str(tmp_path / 'd'), [40.0, 49.0])
    with pytest.raises(ValueError, match='round 2 has no score'):
        seed_table([c, d])
    # a single seed: sd 0
    assert seed_table([d])[1]['sd'] == 0.0


@pytest.mark.slow
def test_collect_tool(tmp_path):
    root = tmp_path / 'ent'
    for s, sc in enumerate([[40.0], [42.0]]):
        fake_run(str(root / f'seed_{s}'), sc)
    out = str(tmp_path / 'seeds.png')
    proc = run_tool([
        PYTHON,
        osp.join(REPO, 'tools', 'analysis', 'seeds.py'), 'collect',
        f'ENT={root}', '--out', out
    ])
    assert proc.returncode == 0, proc.stderr
    assert '41.00 +-  1.41 (2)' in proc.stdout
    assert osp.getsize(out) > 1000


def test_demo_seed_jobs_reuse_seed_0_and_seed_the_rest(tmp_path):
    from tools.run_demo import seed_jobs, seed_runs
    root = str(tmp_path)
    cfgs = {'RAND': 'a.py', 'ADeADA': 'b.py'}
    jobs = seed_jobs(cfgs, 3, root, ['load_from=x.pth'])
    # seed 0 is the one-seed demo's run (its config's seed), first
    assert jobs[:2] == [('RAND', 'a.py', ['--cfg-options', 'load_from=x.pth']),
                        ('ADeADA', 'b.py',
                         ['--cfg-options', 'load_from=x.pth'])]
    assert ('ADeADA-seed2', 'b.py', [
        '--cfg-options', 'load_from=x.pth', 'randomness.seed=2',
        'train_cfg.selector.strategy.seed=2'
    ]) in jobs
    # an online method has no selector: only the run's seed changes
    online = seed_jobs({'MCU': 'm.py'}, 2, root, [], online=('MCU', ))
    assert online[1] == ('MCU-seed1', 'm.py',
                         ['--cfg-options', 'randomness.seed=1'])
    assert len(jobs) == 6
    assert seed_runs(['RAND'], 2, root) == {
        'RAND': [osp.join(root, 'RAND'),
                 osp.join(root, 'RAND-seed1')]
    }
    # one seed, no options: the plain demo's command line
    assert seed_jobs({'RAN': 'c.py'}, 1, root, []) == [('RAN', 'c.py', [])]


def test_demo_seed_report_prints_mean_sd_and_each_seed(tmp_path, capsys):
    from tools.run_demo import report_seeds
    runs = {
        'RAND': [
            fake_run(str(tmp_path / 'RAND'), [30.0, 40.0]),
            fake_run(str(tmp_path / 'RAND-seed1'), [34.0, 44.0])
        ]
    }
    out = str(tmp_path / 'curves.png')
    report_seeds(runs, out, 'demo', 20.0, 60.0, 'mIoU')
    text = capsys.readouterr().out
    assert re.search(r'42\.00 \+- +2\.83 \(2\)', text), text
    assert 'RAND: last round per seed 40.00, 44.00' in text
    assert 'target only (all target labels): 60.00 mIoU' in text
    assert osp.getsize(out) > 0


def test_seed_options_vary_the_strategy_seed_only_with_a_selector():
    from tools.analysis.seeds import has_selector, seed_options
    rand = osp.join(REPO, 'configs', 'demo', 'active',
                    'deeplabv3plus_r18-d8_4xb4-5x60_demo-active-rand.py')
    mcu = osp.join(REPO, 'configs', 'demo', 'active',
                   'deeplabv3plus_r18-d8_2xb2-300_demo-mcu.py')
    assert has_selector(rand) and not has_selector(mcu)
    assert seed_options(2, True) == [
        'randomness.seed=2', 'train_cfg.selector.strategy.seed=2'
    ]
    assert seed_options(2, False) == ['randomness.seed=2']
