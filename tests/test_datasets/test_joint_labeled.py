"""SDM's training set D_s u D~_t as one stream that grows with the rounds,
and the positioned round sampler (same indices and seeds as its parent)."""
import pytest
from mmengine.dataset import BaseDataset

import mmseg_ada  # noqa: F401
from mmseg_ada.active.stores import ImageLabelStore
from mmseg_ada.datasets import (JointLabeledDataset, LabeledSubsetDataset,
                                MultiStreamDataset, PositionedRoundSampler,
                                RoundInfiniteSampler)
from mmseg_ada.datasets.samplers import PositionedIndex


class _Toy(BaseDataset):
    METAINFO = dict(classes=('a', 'b', 'c'))

    def __init__(self, n, tag):
        self.n, self.tag = n, tag
        super().__init__(pipeline=[], serialize_data=False)

    def load_data_list(self):
        return [
            dict(img_path=f'/x/{self.tag}{i}.jpg', gt_label=i % 3)
            for i in range(self.n)
        ]


def test_joint_dataset_appends_bought_target_images(tmp_path):
    work = str(tmp_path)
    joint = JointLabeledDataset(
        _Toy(4, 's'), LabeledSubsetDataset(_Toy(6, 't'), work_dir=work))
    ms = MultiStreamDataset(dict(source=joint))
    assert len(joint) == len(ms) == 4
    store = ImageLabelStore(work, dict(a=1))
    store.add([5, 2])
    store.commit(
        1,
        dict(
            round=1,
            strategy='x',
            unit='image',
            budget=2,
            spent=2,
            labeled=2,
            total=6,
            labeled_fraction=2 / 6))
    assert len(ms) == 6
    assert [joint[i]['img_path'] for i in range(6)] == [
        '/x/s0.jpg', '/x/s1.jpg', '/x/s2.jpg', '/x/s3.jpg', '/x/t2.jpg',
        '/x/t5.jpg'
    ]
    assert joint[5]['gt_label'] == 5 % 3
    # the round sampler re-reads the length when a round starts
    sampler = RoundInfiniteSampler(ms, shuffle=True, seed=0)
    sampler.set_round(1)
    assert sampler.size == 6
    assert sorted(int(next(sampler.indices))
                  for _ in range(6)) == list(range(6))
    store.close()
    with pytest.raises(TypeError, match='LabeledSubsetDataset'):
        JointLabeledDataset(_Toy(2, 's'), _Toy(2, 't'))


def test_positioned_sampler_matches_its_parent():
    ds = _Toy(7, 's')
    a, b = RoundInfiniteSampler(ds, seed=3), PositionedRoundSampler(ds, seed=3)
    for s in (a, b):
        s.set_round(2, start=5)
    ia, ib = iter(a), iter(b)
    for p in range(5, 20):
        x, y = next(ia), next(ib)
        assert isinstance(y, PositionedIndex)
        assert (int(x), x.seed) == (int(y), y.seed)
        assert (y.round, y.position) == (2, p)
    import pickle
    z = pickle.loads(pickle.dumps(y))
    assert (int(z), z.seed, z.round, z.position) == (int(y), y.seed, 2, 19)
