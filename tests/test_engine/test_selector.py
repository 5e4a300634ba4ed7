"""ActiveSelector directly: one round in this process on a tiny pool.

A fake model (a known softmax per image), a fake runner (a list of
batches for a loader), an oracle that knows each image's class and a real
label store.  No training, no dataset, no drawing: what is checked is the
round's contract (collect every pool image, buy within the budget, commit
to the store, write the report) and its refusals.
"""
import json
import os
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import mmseg_ada  # noqa: F401  (registries)
from mmseg_ada.active.stores import ImageLabelStore
from mmseg_ada.active.strategies.base import BaseStrategy
from mmseg_ada.active.units import PoolItem
from mmseg_ada.engine import selector as selector_module
from mmseg_ada.engine.selector import ActiveSelector
from mmseg_ada.registry import STRATEGIES

CLASSES = ['a', 'b', 'c']
LABELS = [0, 1, 2, 0, 1, 2]
# the share of each minority class in image i's softmax: entropy grows with
# it, so Entropy ranks the images 1, 3, 5, 2, 0, 4
SPREAD = [0.05, 0.30, 0.10, 0.25, 0.01, 0.20]
BY_ENTROPY = [1, 3, 5, 2, 0, 4]


def path(i):
    return f'/pool/img_{i}.png'


class FakeModel(torch.nn.Module):
    """Serves ``prob`` for the images named in the batch."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.modes = []

    def data_preprocessor(self, batch, training):
        return batch

    def predict_active(self, inputs, data_samples, requires):
        self.calls += 1
        self.modes.append(self.training)
        assert tuple(requires) == ('prob', )
        rows = []
        for s in data_samples:
            name = osp.basename(s.metainfo['img_path'])
            e = SPREAD[int(name[4:-4])] if name.startswith('img_') else 0.1
            rows.append([1 - 2 * e, e, e])
        return dict(prob=torch.tensor(rows))


class Oracle:
    """Knows every pool image's class (ground truth of the fake pool)."""
    requests = False

    def class_histogram(self, i, num_classes, mask):
        return np.bincount([LABELS[i]], minlength=num_classes)

    def image_label(self, i):
        return LABELS[i]


def runner(model=None):
    """The two things the selector asks of a runner: its model and a
    loader built from a config (``paths``: the images, two a batch)."""

    def build_dataloader(cfg, seed=0):
        paths = cfg['paths']
        return [
            dict(
                inputs=torch.zeros(len(paths[b:b + 2]), 1),
                data_samples=[
                    SimpleNamespace(metainfo=dict(img_path=p))
                    for p in paths[b:b + 2]
                ]) for b in range(0, len(paths), 2)
        ]

    return SimpleNamespace(
        model=model or FakeModel(), build_dataloader=build_dataloader)


def make(strategy=None, paths=None, model=None, **kwargs):
    sel = ActiveSelector(
        strategy=strategy or dict(type='Entropy'),
        units=dict(type='ImageUnits'),
        pool_dataloader=dict(
            dataset=dict(pipeline=[]),
            paths=[path(i) for i in range(6)] if paths is None else paths),
        draw=False,
        **kwargs)
    items = [PoolItem(i, f'img_{i}', (1, 1), path(i)) for i in range(6)]
    sel.setup(
        runner(model), items, Oracle(), CLASSES,
        lambda p: osp.splitext(osp.basename(p))[0])
    return sel


@pytest.fixture
def store(tmp_path):
    s = ImageLabelStore(str(tmp_path), fingerprint={})
    yield s
    s.close()


def test_one_round_buys_the_most_uncertain_images_and_reports(store):
    model = FakeModel()
    sel = make(model=model)
    report = sel.run_round(1, 2, store, num_rounds=3, iteration=0)
    # every pool image was scored once, in eval mode; the mode is restored
    assert model.calls == 3 and not any(model.modes) and model.training
    assert store.last_round() == 1
    assert sorted(store.labeled_ids().tolist()) == sorted(BY_ENTROPY[:2])
    assert report['round'] == 1 and report['iteration'] == 0
    assert report['strategy'] == 'Entropy' and report['unit'] == 'image'
    assert report['budget'] == 2 and report['spent'] == 2
    assert report['labeled'] == 2 and report['total'] == 6
    assert report['labeled_fraction'] == pytest.approx(2 / 6)
    assert report['images_touched'] == 2 and report['classes'] == CLASSES
    # what the oracle says was bought: images 1 and 3 are of classes b, a
    assert report['round_per_class_labeled'] == [1, 1, 0]
    assert report['per_class_labeled'] == [1, 1, 0]
    assert set(report['seconds']) >= {'forward', 'pool', 'select', 'commit'}
    # the report on disk is the one returned
    with open(store.round_path(1)) as f:
        on_disk = json.load(f)
    for key in ('round', 'strategy', 'budget', 'spent', 'labeled', 'total',
                'per_class_labeled', 'round_per_class_labeled'):
        assert on_disk[key] == report[key], key
    assert sel.fingerprint() == dict(
        strategy=dict(type='Entropy'), units=dict(kind='image'))


def test_a_second_round_buys_only_unlabelled_images(store):
    sel = make()
    sel.run_round(1, 2, store, num_rounds=3, iteration=0)
    store.set_cursor(1)
    store.refresh(force=True)
    report = sel.run_round(2, 2, store, num_rounds=3, iteration=4)
    assert sorted(store.labeled_ids().tolist()) == sorted(BY_ENTROPY[:4])
    assert report['spent'] == 2 and report['labeled'] == 4
    # images 5 and 2 are both of class c; the counts are cumulative
    assert report['round_per_class_labeled'] == [0, 0, 2]
    assert report['per_class_labeled'] == [1, 1, 2]
    assert report['iteration'] == 4


def test_budget_is_respected_and_an_exhausted_pool_says_so(store):
    sel = make()
    report = sel.run_round(1, 5, store, num_rounds=2, iteration=0)
    assert report['spent'] == 5 and len(store.labeled_ids()) == 5
    assert 'note' not in report
    store.set_cursor(1)
    store.refresh(force=True)
    # 1 image left for a budget of 3: it is bought, nothing more
    report = sel.run_round(2, 3, store, num_rounds=2, iteration=2)
    assert report['spent'] == 1 and report['labeled'] == 6
    store.set_cursor(2)
    store.refresh(force=True)
    # nothing left: the round commits with a note instead of failing
    report = sel.run_round(3, 3, store, num_rounds=3, iteration=4)
    assert report['spent'] == 0 and store.last_round() == 3
    assert 'the pool is exhausted' in report['note']


def test_a_strategy_that_breaks_the_contract_commits_nothing(store):
    name = 'Issue18Overspender'

    @STRATEGIES.register_module(force=True)
    class Issue18Overspender(BaseStrategy):
        """Buys every image whatever the budget."""

        def select(self, pool, budget, round_idx=1, **context):
            from mmseg_ada.active.pool import Selection
            return Selection(np.arange(len(pool)), dict(spent=len(pool)))

    try:
        sel = make(strategy=dict(type=name))
        with pytest.raises(RuntimeError, match='broke the contract in round'):
            sel.run_round(1, 2, store, num_rounds=1, iteration=0)
    finally:
        STRATEGIES.module_dict.pop(name, None)
    assert store.last_round() == 0 and len(store.labeled_ids()) == 0
    assert not osp.exists(store.round_path(1))


def test_a_pool_loader_missing_images_is_refused(store):
    sel = make(paths=[path(i) for i in range(4)])
    with pytest.raises(RuntimeError, match='2 of 6 images were not scored'):
        sel.run_round(1, 2, store, num_rounds=1, iteration=0)
    assert store.last_round() == 0


def test_a_pool_loader_over_other_images_names_the_image(store):
    sel = make(paths=[path(0), '/elsewhere/other_7.png'])
    with pytest.raises(KeyError) as err:
        sel.run_round(1, 2, store, num_rounds=1, iteration=0)
    msg = str(err.value)
    assert "'/elsewhere/other_7.png'" in msg and "stem 'other_7'" in msg
    assert 'not an image of the dataset' in msg
    assert store.last_round() == 0


def test_ranks_that_disagree_on_the_picks_stop_the_round(store, monkeypatch):
    """Two ranks whose pools differ would commit different picks: the
    digests of the picks are compared and the round is refused.  (The other
    rank is simulated: its digest differs.)"""
    monkeypatch.setattr(selector_module, 'get_world_size', lambda: 2)
    monkeypatch.setattr(
        selector_module, 'broadcast_object_list', lambda obj, src=0: None)
    # the first gather asks whether a rank failed while pooling (None: no)
    monkeypatch.setattr(
        selector_module, 'all_gather_object', lambda obj: [obj, None]
        if obj is None else [obj, 'another digest'])
    sel = make()
    with pytest.raises(RuntimeError, match='ranks disagree on the picks'):
        sel.run_round(1, 2, store, num_rounds=1, iteration=0)
    assert store.last_round() == 0


def test_ranks_that_agree_commit_the_round(store, monkeypatch):
    monkeypatch.setattr(selector_module, 'get_world_size', lambda: 2)
    monkeypatch.setattr(
        selector_module, 'broadcast_object_list', lambda obj, src=0: None)
    monkeypatch.setattr(selector_module, 'all_gather_object',
                        lambda obj: [obj, obj])
    sel = make()
    report = sel.run_round(1, 2, store, num_rounds=1, iteration=0)
    assert report['spent'] == 2 and store.last_round() == 1


def test_a_rank_that_fails_while_pooling_stops_every_rank(store, monkeypatch):
    """Rank 1 failed while scoring its share of the pool: this rank learns
    it before the gather (instead of waiting there until the process
    group's timeout) and stops the round too, naming rank 1 and its
    error.  (The other rank is simulated: its all-gathered message.)"""
    said = []

    def all_gather_object(obj):
        said.append(obj)
        return [obj, 'ValueError: a broken image on rank 1']

    monkeypatch.setattr(selector_module, 'get_world_size', lambda: 2)
    monkeypatch.setattr(selector_module, 'all_gather_object',
                        all_gather_object)
    sel = make()
    with pytest.raises(RuntimeError) as err:
        sel.run_round(1, 2, store, num_rounds=1, iteration=0)
    msg = str(err.value)
    assert 'rank 1 failed while scoring the pool' in msg
    assert 'ValueError: a broken image on rank 1' in msg
    assert said == [None]  # this rank said it had no error
    assert store.last_round() == 0 and len(store.labeled_ids()) == 0


def test_this_rank_failing_while_pooling_tells_the_others(store, monkeypatch):
    said = []

    def all_gather_object(obj):
        said.append(obj)
        return [obj, None]

    monkeypatch.setattr(selector_module, 'get_world_size', lambda: 2)
    monkeypatch.setattr(selector_module, 'all_gather_object',
                        all_gather_object)
    sel = make()

    def collect(item, *args):
        raise ValueError(f'cannot pool {item.stem}')

    monkeypatch.setattr(sel.units, 'collect', collect)
    with pytest.raises(ValueError, match='cannot pool img_0'):
        sel.run_round(1, 2, store, num_rounds=1, iteration=0)
    assert said == ['ValueError: cannot pool img_0']
    assert store.last_round() == 0


def test_a_model_failure_names_the_image_whose_pooling_failed_too(
        store, monkeypatch):
    """Image 1 is pooled in the worker thread while the model fails on the
    next batch: the model's error propagates and names image 1's failure,
    which would otherwise be lost."""

    class FailsOnSecondBatch(FakeModel):

        def predict_active(self, inputs, data_samples, requires):
            if self.calls == 1:
                raise RuntimeError('CUDA out of memory (simulated)')
            return super().predict_active(inputs, data_samples, requires)

    sel = make(model=FailsOnSecondBatch())
    real = sel.units.collect

    def collect(item, *args):
        if item.stem == 'img_1':
            raise ValueError('a corrupt prediction of img_1')
        return real(item, *args)

    monkeypatch.setattr(sel.units, 'collect', collect)
    with pytest.raises(RuntimeError, match='out of memory') as err:
        sel.run_round(1, 2, store, num_rounds=1, iteration=0)
    notes = getattr(err.value, '__notes__', [])
    assert any("pooling the image 'img_1' failed too" in n
               and 'a corrupt prediction of img_1' in n for n in notes), notes
    assert store.last_round() == 0


@pytest.mark.parametrize('kwargs,error,message', [
    (dict(
        pool_dataloader=dict(
            dataset=dict(pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations')
            ]))), ValueError, 'must not load annotations'),
    (dict(
        strategy=dict(type='ADeADA'),
        units=dict(type='RegionUnits', cache='nowhere')), ValueError,
     'requires the source pool: set source_pool_dataloader'),
    (dict(strategy=dict(type='BADGE'), units=dict(type='PixelUnits')),
     ValueError, "BADGE ranks \\['image'\\] units, not 'pixel'"),
])
def test_refused_settings(kwargs, error, message):
    cfg = dict(
        strategy=dict(type='Entropy'),
        units=dict(type='ImageUnits'),
        pool_dataloader=dict(dataset=dict(pipeline=[])))
    cfg.update(kwargs)
    with pytest.raises(error, match=message):
        ActiveSelector(**cfg)


def test_a_model_that_cannot_serve_the_strategy_is_refused_at_setup():
    """Refused when bound to the run (before training), not at round 1."""

    class Blind(FakeModel):

        def check_active_requires(self, requires):
            raise KeyError(f'it serves none of {list(requires)}')

    with pytest.raises(ValueError) as err:
        make(model=Blind())
    msg = str(err.value)
    assert "strategy Entropy (train_cfg.selector.strategy) requires ['prob']" \
        in msg
    assert 'it serves none of' in msg and 'Checked before training' in msg


_FAILING_RANK = '''
import os, sys
import torch
import torch.distributed as dist
sys.path.insert(0, {repo!r})
from mmseg_ada.engine.selector import _agree_on_failure

def main(rank, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT={port!r})
    dist.init_process_group('gloo', rank=rank, world_size=2)
    error = ValueError('a broken image') if rank == 1 else None
    try:
        _agree_on_failure(error, 'pool_dataloader')
        said = 'no error'
    except Exception as e:
        said = f'{{type(e).__name__}}: {{e}}'
    with open(f'{{out}}_{{rank}}.txt', 'w') as f:
        f.write(said)
    # a gloo process left to the interpreter's teardown may abort
    from mmseg_ada.utils import end_process
    end_process(0)

if __name__ == '__main__':
    torch.multiprocessing.spawn(main, args=(sys.argv[1], ), nprocs=2)
'''


@pytest.mark.slow
def test_two_gloo_ranks_both_stop_when_one_fails_while_pooling(tmp_path):
    """Real processes: rank 1 fails, rank 0 does not; both raise within the
    test's timeout instead of rank 0 waiting in the gather."""
    import subprocess
    import sys

    from tests.utils import REPO
    script = tmp_path / 'ranks.py'
    script.write_text(_FAILING_RANK.format(repo=REPO, port='29647'))
    out = str(tmp_path / 'said')
    res = subprocess.run([sys.executable, str(script), out],
                         env=dict(os.environ, OMP_NUM_THREADS='1'),
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert open(out + '_1.txt').read() == 'ValueError: a broken image'
    said0 = open(out + '_0.txt').read()
    assert said0.startswith('RuntimeError: pool_dataloader: rank 1 failed '
                            'while scoring the pool (ValueError: a broken '
                            'image)'), said0
