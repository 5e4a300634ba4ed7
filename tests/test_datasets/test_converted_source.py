"""The shared base of GTA5Dataset / SynthiaDataset and the pair listing."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmseg_ada.datasets import (ConvertedSourceDataset, GTA5Dataset,
                                SynthiaDataset)
from mmseg_ada.datasets.converted_pairs import (find_stems,
                                                list_converted_pairs,
                                                read_broken_list)


class _ToyDataset(ConvertedSourceDataset):
    """A third source dataset: only the class attributes differ."""
    IMG_DIR = 'img'
    LABEL_DIR = osp.join('ann', 'converted')
    CONVERT_CMD = 'toy-convert {root}'


def _write(path, value, shape=(4, 6)):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, np.full(shape, value, np.uint8))


def _toy(tmp_path, stems=('a', 'b')):
    root = tmp_path / 'toy'
    for k, stem in enumerate(stems):
        _write(str(root / 'img' / f'{stem}.png'), 10 * k)
        _write(
            str(root / 'ann' / 'converted' / f'{stem}_labelTrainIds.png'), k)
    return str(root)


def test_gta5_and_synthia_share_the_base():
    assert issubclass(GTA5Dataset, ConvertedSourceDataset)
    assert issubclass(SynthiaDataset, ConvertedSourceDataset)
    assert (GTA5Dataset.IMG_DIR, GTA5Dataset.LABEL_DIR) == ('images', 'labels')
    assert (SynthiaDataset.IMG_DIR,
            SynthiaDataset.LABEL_DIR) == ('RGB', osp.join('GT', 'LABELS'))
    assert 'gta5.py {root}' in GTA5Dataset.CONVERT_CMD
    assert 'synthia.py {root}' in SynthiaDataset.CONVERT_CMD
    # not a config type of its own
    from mmseg.registry import DATASETS
    assert DATASETS.get('ConvertedSourceDataset') is None


def test_base_without_class_attributes_is_refused(tmp_path):
    with pytest.raises(TypeError, match='ConvertedSourceDataset must set'):
        ConvertedSourceDataset(data_root=str(tmp_path))


def test_a_new_subclass_lists_pairs_and_names_its_converter(tmp_path):
    init_default_scope('mmseg')
    root = _toy(tmp_path)
    ds = _ToyDataset(
        data_root=root,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations')
        ])
    assert [
        osp.basename(ds.get_data_info(i)['seg_map_path'])
        for i in range(len(ds))
    ] == ['a_labelTrainIds.png', 'b_labelTrainIds.png']
    assert (ds[1]['gt_seg_map'] == 1).all()
    _write(osp.join(root, 'img', 'c.png'), 0)  # no converted label
    with pytest.raises(
            FileNotFoundError,
            match=f'c_labelTrainIds.png.*toy-convert {root}'):
        _ToyDataset(data_root=root)
    with pytest.raises(ValueError, match='_ToyDataset: data_prefix needs'):
        _ToyDataset(data_prefix=dict(img_path=''))


def test_broken_list_reader_and_pair_listing(tmp_path):
    root = _toy(tmp_path, stems=('a', 'b', 'c'))
    broken = osp.join(root, 'broken_pairs.txt')
    with open(broken, 'w') as f:
        f.write('# comment\n\nb\tlabel file x: id 40 outside the map\n')
    assert read_broken_list(broken) == {
        'b': 'label file x: id 40 outside the map'
    }
    assert read_broken_list(None) == {}
    assert read_broken_list(osp.join(root, 'missing.txt')) == {}
    img, seg = osp.join(root, 'img'), osp.join(root, 'ann', 'converted')
    pairs, excluded = list_converted_pairs(img, seg, '.png',
                                           '_labelTrainIds.png', broken, 'cmd')
    assert [osp.basename(p) for p, _ in pairs] == ['a.png', 'c.png']
    assert excluded == ['b']
    # a split list naming only broken pairs leaves nothing: clear error
    with pytest.raises(FileNotFoundError, match="1 listed as broken"):
        list_converted_pairs(
            img,
            seg,
            '.png',
            '_labelTrainIds.png',
            broken,
            'cmd',
            stems=['b'],
            dataset_name='Toy')
    # hidden temporaries and excluded suffixes are not stems
    _write(osp.join(seg, '.a_labelTrainIds.png.x1.tmp.png'), 0)
    assert sorted(find_stems(seg, '.png', ('_labelTrainIds.png', ))) == []
    assert sorted(find_stems(seg, '_labelTrainIds.png')) == ['a', 'b', 'c']
