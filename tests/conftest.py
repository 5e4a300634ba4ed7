"""Shared fixtures: the miniature synthetic GTA5/Cityscapes pair."""
import os
import os.path as osp

import pytest

from tests.utils import DEMO_CFG, REPO  # noqa: F401


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items):
    """A test that needs the Label Studio server is ``slow`` wherever it
    is (the others are marked where they are written)."""
    for item in items:
        if 'label_studio' in getattr(item, 'fixturenames', ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope='session')
def synthetic_da(tmp_path_factory):
    """A tiny synthetic GTA5 -> Cityscapes pair, GTA5 labels converted."""
    from mmseg_ada.testing.synthetic import make_synthetic_da
    from tools.dataset_converters._convert import convert_gta5
    root = str(tmp_path_factory.mktemp('synthetic_da') / 'demo')
    make_synthetic_da(
        root,
        num_source=8,
        num_target_train=6,
        num_target_val=4,
        size=(64, 128),
        seed=0)
    convert_gta5(osp.join(root, 'gta5'), nproc=1)
    return root


@pytest.fixture(scope='session')
def synthetic_synthia_da(tmp_path_factory):
    """A tiny synthetic SYNTHIA -> Cityscapes pair, SYNTHIA labels converted.

    ``ROOT/synthia`` (RAND-CITYSCAPES layout) and ``ROOT/cityscapes``.
    """
    from mmseg_ada.testing.synthetic import make_synthetic_da
    from tools.dataset_converters._convert import convert_synthia
    root = str(tmp_path_factory.mktemp('synthetic_synthia_da') / 'demo')
    make_synthetic_da(
        root,
        num_source=4,
        num_target_train=2,
        num_target_val=2,
        size=(64, 128),
        seed=0,
        source_format='synthia')
    convert_synthia(osp.join(root, 'synthia'), nproc=1)
    return root


@pytest.fixture(scope='session')
def project(synthetic_da, tmp_path_factory):
    """A working dir whose ``data/demo`` is the synthetic pair, with the
    region cache and a (random-init) warm-up checkpoint."""
    import torch
    from mmengine.config import Config
    from mmseg.registry import MODELS

    import mmseg_ada  # noqa: F401
    from mmseg_ada.active.region_cache import RegionCache
    from tools.precompute_regions import find_images, precompute_regions
    proj = tmp_path_factory.mktemp('project')
    os.makedirs(proj / 'data')
    os.symlink(synthetic_da, proj / 'data' / 'demo')
    for name, sub, suffix in (('cityscapes_train_slic',
                               ('cityscapes', 'leftImg8bit',
                                'train'), '_leftImg8bit.png'),
                              ('gta5_slic', ('gta5', 'images'), '.png')):
        cache = RegionCache(
            osp.join(synthetic_da, 'regions', name), method='slic')
        if not osp.isfile(cache.meta_path):
            imgs = find_images(osp.join(synthetic_da, *sub), suffix=suffix)
            precompute_regions(imgs, cache, nproc=1)
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(DEMO_CFG).model)
    os.makedirs(proj / 'work_dirs' / 'demo' / 'source-only')
    torch.save(
        dict(state_dict=model.state_dict(), meta=dict()),
        proj / 'work_dirs' / 'demo' / 'source-only' / 'iter_600.pth')
    return str(proj)


# -------------------------------------------- opt-in speed-ups (usefixtures)
@pytest.fixture(scope='module')
def frozen_gc():
    """mmengine's BaseDataset calls gc.collect() on every build; with torch
    and mmseg loaded that costs ~0.4 s.  Objects alive before the module's
    tests are moved out of the collector's reach.  A module opts in with
    ``pytestmark = pytest.mark.usefixtures('frozen_gc')``."""
    import gc
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope='module')
def one_thread():
    """Tiny tensors gain nothing from threads; spin-waiting OpenMP threads
    make them crawl on a loaded 2-core machine.  Restored afterwards.

    Module-scoped so that a module's shared reference runs (module-scoped
    fixtures) use the same thread count as its tests: float reductions
    differ between thread counts, and "bit-identical" comparisons with
    them."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ------------------------------------------------ a real annotation server
@pytest.fixture(scope='session')
def label_studio(tmp_path_factory):
    """A real Label Studio server for the session, on 127.0.0.1 with a fresh
    data dir; its document root is the session's temporary folder (every
    test's images can be served).  Needs ``make labelstudio``; skipped
    without it unless ``$MMSEG_ADA_REQUIRE_LABEL_STUDIO`` is set (CI), then
    its absence fails.  Stopped (the whole process group) at the end."""
    from mmseg_ada.testing import label_studio as ls
    try:
        ls.find_label_studio()
    except FileNotFoundError as e:
        if os.environ.get('MMSEG_ADA_REQUIRE_LABEL_STUDIO',
                          '').lower() not in ('', '0', 'false', 'no'):
            pytest.fail(f'$MMSEG_ADA_REQUIRE_LABEL_STUDIO is set but {e}')
        pytest.skip(f'Label Studio venv missing ({ls.INSTALL_COMMAND}): {e}')
    root = tmp_path_factory.getbasetemp()
    # start-up: ~35 s idle, up to ~2 min on a busy 2-core machine
    server = ls.LabelStudioServer(
        root / 'label_studio_data', root, start_timeout=420)
    server.start()
    yield server
    server.stop()
    assert not server.running
    assert ls.leftover_processes(server) == []
