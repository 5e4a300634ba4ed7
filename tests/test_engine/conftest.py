"""Fixtures of the protocol tests."""
import pytest

from tests.cls_fixtures import make_domain

CLASSES = [str(c) for c in range(10)]


@pytest.fixture(scope='module')
def cls_project(tmp_path_factory):
    """``data/demo_cls`` in the demo's layout (file names repeat across
    class folders): 10 classes x 4 images per domain, 32x32."""
    proj = tmp_path_factory.mktemp('cls_project')
    root = str(proj / 'data' / 'demo_cls')
    for d, domain in enumerate(('source', 'target')):
        make_domain(
            root,
            domain + '/{cls}/{i:04d}',
            f'{domain}.txt',
            CLASSES,
            labels=range(10),
            per_class=4,
            ext='.png',
            seed=60 + d,
            size=(32, 32))
    return str(proj)
