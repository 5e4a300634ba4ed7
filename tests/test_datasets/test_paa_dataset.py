"""PAADataset reads the bought images through its bought stream's store."""
import pytest

from mmseg_ada.active.stores import BaseLabelStore, ImageLabelStore
from mmseg_ada.datasets import LabeledSubsetDataset, PAADataset
from tests.test_annotation.conftest import _report
from tests.test_annotation.test_oracles import _Toy


@pytest.fixture(autouse=True)
def _no_commit_hook(monkeypatch):
    monkeypatch.setattr(BaseLabelStore, '_commit_hook', None)


def test_anchors_read_the_bought_streams_store(tmp_path, monkeypatch):
    work = str(tmp_path)
    store = ImageLabelStore(work, dict(a=1))
    store.add([1, 4])
    store.commit(1, _report(1, 2, 2, 6, 'image'))
    toy = _Toy()
    target = LabeledSubsetDataset(toy.build(), work_dir=work)
    paa = PAADataset(
        source=toy.build(), target=target, proposal_pipeline=[], mode='raa')
    opened = []
    init = ImageLabelStore.__init__

    def counting(self, *args, **kwargs):
        opened.append(args)
        init(self, *args, **kwargs)

    monkeypatch.setattr(ImageLabelStore, '__init__', counting)
    assert len(target) == 2  # the stream opens its read-only copy
    ids, labels = paa.bought(1)
    assert ids.tolist() == [1, 4] and labels.tolist() == [1, 1]
    assert len(opened) == 1  # ... and the anchors use that same copy
    assert target.store() is target.store()
    store.add([0])
    store.commit(2, _report(2, 1, 3, 6, 'image'))
    assert paa.bought(2)[0].tolist() == [0, 1, 4]  # it follows the store
    assert len(opened) == 1
    store.close()


def test_anchors_before_any_store_name_the_work_dir(tmp_path):
    toy = _Toy()
    target = LabeledSubsetDataset(toy.build(), work_dir=str(tmp_path))
    paa = PAADataset(
        source=toy.build(), target=target, proposal_pipeline=[], mode='raa')
    assert target.store() is None
    with pytest.raises(RuntimeError, match=str(tmp_path)):
        paa.bought(1)
