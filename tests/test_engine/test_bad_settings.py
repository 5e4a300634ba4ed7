"""Bad settings are refused before training, with a clear message.

Each case runs ``tools/train.py``'s code in this process
(:func:`tests.utils.refusal_in_process`) and checks the message names the
setting, that no training step ran and, where the refusal comes before the
label store, that nothing was written.  The protocol files
(``test_active_protocol.py`` and the others) keep the runs that need a
process of their own: kills, resumes, several ranks, exit statuses.
"""
import glob
import os
import os.path as osp

import pytest

from mmseg_ada.active.stores import MaskLabelStore
from tests.test_engine.test_active_protocol import active_cfg
from tests.test_engine.test_cls_protocol import cls_cfg
from tests.test_engine.test_online_protocol import mcu_cfg
from tests.utils import REPO, refusal_in_process

pytestmark = pytest.mark.usefixtures('one_thread', 'frozen_gc')

MCU_BASE = osp.join(REPO, 'configs', 'demo', 'active',
                    'deeplabv3plus_r18-d8_2xb2-300_demo-mcu.py')


def refused(project, cfg, work, *args, error=Exception):
    """Run ``cfg`` in ``work``; return the message of what it raised."""
    msg = refusal_in_process(cfg, work, *args, cwd=project, error=error)
    # not one step trained: no checkpoint, no round report
    assert not glob.glob(osp.join(work, '*.pth'))
    assert not glob.glob(osp.join(work, 'active', 'round_*.json'))
    return msg


def snapshot(work):
    """The label store's files (the runner's own logs aside)."""
    return {
        p: open(p, 'rb').read()
        for p in glob.glob(
            osp.join(work, 'active', '**', '*'), recursive=True)
        if osp.isfile(p)
    }


def nothing_bought(work):
    """The refusal came before the label store was opened."""
    assert not osp.exists(osp.join(work, 'active'))


# ------------------------------------------------------ selection rounds
@pytest.mark.parametrize(
    'opts,message',
    [
        (['train_cfg.budget.per_round=0'], 'per_round'),
        (['train_cfg.budget.per_round=1.5'], 'per_round'),
        # issue 16, case 2: a budget that rounds to 0 units in every round
        (['train_cfg.budget.per_round=0.0000001'
          ], 'smallest per_round that buys one unit'),
        ([
            'train_cfg.num_rounds=3', 'train_cfg.budget.per_round=0.5',
            'train_cfg.max_iters=6'
        ], 'the pool has'),
        (['train_cfg.iters_per_round=5'], 'do not fit max_iters'),
        (['train_cfg.selector.units.cache=nowhere/regions'
          ], 'precompute_regions.py'),
        (['default_hooks.checkpoint.interval=3'], 'does not divide'),
        (['train_dataloader.sampler.type=InfiniteSampler'
          ], 'RoundInfiniteSampler'),
    ])
def test_bad_protocol_settings_fail_clearly(project, tmp_path, opts, message):
    cfg = active_cfg(project, 'bad_inproc')
    work = str(tmp_path / 'bad')
    msg = refused(project, cfg, work, '--cfg-options', *opts)
    assert message in msg, msg


def test_pool_of_other_images_names_the_stem(project, tmp_path):
    cfg = active_cfg(
        project,
        'bad_pool_inproc',
        rounds=1,
        ipr=1,
        extra=(
            "train_cfg.update(selector=dict(pool_dataloader=dict(dataset=dict("
            "data_prefix=dict(img_path='leftImg8bit/val')))))"))
    msg = refused(project, cfg, str(tmp_path / 'w'), error=KeyError)
    assert 'pool_dataloader: the pool dataloader yielded' in msg
    assert '_000019' in msg and 'not an image' in msg


def test_pool_loader_that_loads_labels_is_refused(project, tmp_path):
    """The selection pass never sees target labels: a pool pipeline with
    LoadAnnotations is refused before anything is written."""
    cfg = active_cfg(
        project,
        'pool_labels_inproc',
        rounds=1,
        ipr=1,
        extra=("train_cfg.update(selector=dict(pool_dataloader=dict(dataset="
               "dict(pipeline=[dict(type='LoadImageFromFile'), "
               "dict(type='LoadAnnotations'), "
               "dict(type='PackSegInputs')]))))"))
    work = str(tmp_path / 'w')
    msg = refused(project, cfg, work, error=ValueError)
    assert 'must not load annotations' in msg
    nothing_bought(work)


# ------------------------------------------------- a store already there
def _earlier_store(work):
    """``work`` with the (empty) label store of an earlier run."""
    MaskLabelStore(work, fingerprint={}).close()
    return snapshot(work)


def test_rerun_without_resume_is_refused(project, tmp_path):
    work = str(tmp_path / 'w')
    before = _earlier_store(work)
    msg = refused(
        project, active_cfg(project, 'rerun_inproc'), work, error=RuntimeError)
    assert 'holds the label store of an earlier run' in msg
    assert '--resume' in msg and 'still going' not in msg
    assert snapshot(work) == before  # nothing written over it


def test_second_writer_is_refused_at_start(project, tmp_path):
    work = str(tmp_path / 'w')
    _earlier_store(work)
    holder = MaskLabelStore(work)
    try:
        msg = refused(project, active_cfg(project, 'second_inproc'), work,
                      '--resume')
    finally:
        holder.close()
    assert f'in use by pid {os.getpid()}' in msg


def test_rerun_while_the_run_is_going_names_the_lock_holder(project, tmp_path):
    """A plain rerun in a work dir whose run still holds the store names
    the holder (pid, host), since --resume would be refused too."""
    work = str(tmp_path / 'w')
    _earlier_store(work)
    holder = MaskLabelStore(work)
    try:
        before = snapshot(work)
        msg = refused(
            project,
            active_cfg(project, 'rerun_live_inproc'),
            work,
            error=RuntimeError)
    finally:
        holder.close()
    assert 'holds the label store of an earlier run' in msg
    assert f'pid {os.getpid()} on host' in msg
    assert '--resume is refused too while it runs' in msg
    assert snapshot(work) == before


# ------------------------------------------------- online (ADA-MCU) runs
@pytest.mark.parametrize('selector', [
    "dict(strategy=dict(type='Entropy'))",
    "dict(strategy=dict(type='Entropy'), units=dict(type='PixelUnits'), "
    "pool_dataloader=dict())",
])
def test_online_run_with_a_selector_is_refused_at_start(
        project, tmp_path, selector):
    """Issue 16, case 6: ADA-MCU (online=...) with a train_cfg.selector is
    refused at start (a full selector used to be ignored silently, a bare
    strategy to fail with a raw TypeError about units/pool_dataloader)."""
    cfg = mcu_cfg(
        project,
        'mcu_selector_inproc',
        extra=f'train_cfg.update(selector={selector})')
    work = str(tmp_path / 'w')
    msg = refused(project, cfg, work, error=ValueError)
    assert 'train_cfg.selector would never be used' in msg
    nothing_bought(work)


def test_online_resolution_must_be_two_ints(project, tmp_path):
    cfg = mcu_cfg(
        project,
        'mcu_grid_bad_inproc',
        iters=1,
        online='dict(budget=0.02, resolution=16)')
    msg = refused(project, cfg, str(tmp_path / 'w'), error=ValueError)
    assert 'resolution=16 must be two positive ints' in msg


def test_online_purchases_refuse_a_person(project, tmp_path):
    cfg = active_cfg(
        project,
        'human_online_inproc',
        base=MCU_BASE,
        extra="train_cfg = dict(_delete_=True, type='ActiveLoop', "
        "max_iters=2, online=dict(budget=0.01), "
        "oracle=dict(type='HumanOracle'))")
    work = str(tmp_path / 'w')
    msg = refused(project, cfg, work, error=ValueError)
    assert 'HumanOracle cannot answer inside a training step' in msg
    nothing_bought(work)


# -------------------------------------------------- image classification
@pytest.mark.parametrize('strategy,owner', [('AADA', 'DANNRegularizer'),
                                            ('SAGE', 'TSFRegularizer')])
def test_strategy_requirements_are_checked_before_training(
        cls_project, tmp_path, strategy, owner):
    """Issue 16, case 3: AADA / SAGE on a classifier without their
    discriminator are refused before the first training step (they used
    to fail at round 1, after the warm-up), naming what is missing and
    the regulariser that serves it; nothing is written to the store."""
    cfg = cls_cfg(
        cls_project,
        f'needs_{strategy}_inproc',
        extra=('train_cfg.update(selector=dict(strategy=dict(_delete_=True,'
               f" type={strategy!r})))"))
    work = str(tmp_path / strategy)
    msg = refused(cls_project, cfg, work, error=ValueError)
    assert f'strategy {strategy} (train_cfg.selector.strategy) requires' \
        in msg
    assert owner in msg and 'Checked before training' in msg
    assert not osp.exists(osp.join(work, 'active', 'state.json'))


# ------------------------------------------- a checkpoint not of this run
def _checkpoint(project, path, it, active_loop=None):
    """A checkpoint at iteration ``it`` with the warm-up's weights and,
    if given, the active loop's record in its message hub."""
    import torch
    from mmengine.logging import MessageHub
    warm = osp.join(project, 'work_dirs', 'demo', 'source-only',
                    'iter_600.pth')
    hub = MessageHub(f'fake_checkpoint_{it}_{osp.basename(path)}')
    if active_loop is not None:
        hub.update_info('active_loop', active_loop)
    torch.save(
        dict(
            state_dict=torch.load(warm, weights_only=False)['state_dict'],
            meta=dict(iter=it, epoch=0),
            message_hub=hub.state_dict()), path)
    return path


def test_mmseg_own_train_tool_resume_fails_loudly(project, tmp_path):
    """mmseg's tools/train.py --resume resumes from `load_from`: the loop
    refuses a checkpoint that is not its own instead of exiting 0."""
    import mmseg
    tool = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', 'train.py')
    # a 'warm-up' checkpoint at iteration 2 without active-loop state
    warm = _checkpoint(project, str(tmp_path / 'warm_iter_2.pth'), 2)
    cfg = active_cfg(
        project, 'mmseg_tool_inproc', extra=f'load_from = {warm!r}')
    work = str(tmp_path / 'w')
    msg = refusal_in_process(
        cfg, work, '--resume', cwd=project, tool=tool, error=RuntimeError)
    assert 'not written by this active run' in msg and 'load_from=None' in msg
    nothing_bought(work)


def test_resume_past_the_end_without_its_store_fails_loudly(project, tmp_path):
    """The final checkpoint of a run (iteration 6 of 3 rounds x 2),
    resumed in a work dir without that run's label store: an error naming
    the store, never a silent exit (the loop would start past its end with
    no round bought)."""
    work = str(tmp_path / 'w')
    os.makedirs(work)
    last = _checkpoint(
        project,
        osp.join(work, 'iter_6.pth'),
        6,
        active_loop=dict(store=osp.join(work, 'active'), fingerprint='x'))
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(last)
    msg = refusal_in_process(
        active_cfg(project, 'no_store_inproc', rounds=3),
        work,
        '--resume',
        cwd=project,
        error=RuntimeError)
    assert 'the store is older than the checkpoint' in msg
    assert glob.glob(osp.join(work, '*.pth')) == [last]
    assert not glob.glob(osp.join(work, 'active', 'round_*.json'))


def test_test_tool_show_dir_on_a_classifier_is_refused(cls_project, tmp_path):
    """Issue 16, case 8: tools/test.py --show-dir on a classification
    config is refused clearly (it suggested SegVisualizationHook), before
    the checkpoint is read or anything drawn."""
    ckpt = tmp_path / 'iter_6.pth'
    ckpt.write_bytes(b'')  # only its existence is checked first
    show = tmp_path / 'show'
    err = refusal_in_process(
        cls_cfg(cls_project, 'show_dir_inproc'),
        str(tmp_path / 'w'),
        str(ckpt),
        '--show-dir',
        str(show),
        cwd=cls_project,
        tool=osp.join(REPO, 'tools', 'test.py'),
        error=SystemExit)
    assert 'is an image classifier: use --out DIR' in err
    assert 'SegVisualizationHook' in err  # what it draws, not advice
    assert "visualization=dict(type='SegVisualizationHook')" not in err
    assert not show.exists()
