"""Image-list datasets: parsing, checks with file:line errors, benchmarks."""
import os.path as osp
import re

import pytest
from mmengine.registry import init_default_scope

import mmseg_ada  # noqa: F401  (registers the datasets and transforms)
from mmseg_ada.datasets import (DomainNetDataset, ImageListDataset,
                                Office31Dataset, OfficeHomeDataset,
                                VisDADataset, parse_image_list)
from mmseg_ada.datasets.domainnet import (DOMAINNET126_CLASSES,
                                          DOMAINNET_CLASSES)
from mmseg_ada.datasets.office31 import OFFICE31_CLASSES
from mmseg_ada.datasets.office_home import OFFICE_HOME_CLASSES
from mmseg_ada.datasets.visda import VISDA_CLASSES
from tests.cls_fixtures import (make_domainnet, make_office31,
                                make_office_home, write_image, write_list)

pytestmark = pytest.mark.usefixtures('frozen_gc')

TRAIN = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcv.Resize', scale=(32, 32), keep_ratio=False),
    dict(type='ClsRandomCrop', crop_size=28),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]


def _where(path, line):
    return re.escape(f'{path}:{line}')


def _list(tmp_path, lines, name='list.txt'):
    path = str(tmp_path / name)
    write_list(path, lines)
    return path


# ------------------------------------------------------------ parse_image_list
def test_parse_label_last_token_paths_with_spaces(tmp_path):
    path = _list(
        tmp_path,
        ['a/b c/img 1.jpg 3', '', '   ', 'plain.png\t0', '/root/x/y.jpg 2'])
    entries = parse_image_list(
        path, num_classes=4, path_rewrite=('/root/', 'data/'))
    assert [(e.path, e.label, e.lineno)
            for e in entries] == [('a/b c/img 1.jpg', 3, 1),
                                  ('plain.png', 0, 4), ('data/x/y.jpg', 2, 5)]


@pytest.mark.parametrize('line,match', [
    ('just_a_path.jpg', 'malformed line'),
    ('a.jpg 1.5', "label '1.5' is not an integer"),
    ('a.jpg cat', "label 'cat' is not an integer"),
    ('a.jpg 1_0', "label '1_0' is not an integer"),
    ('a.jpg -1', 'negative label -1'),
    ('a.jpg 4', 'label 4 out of range for 4 classes'),
])
def test_parse_bad_line_names_file_and_line(tmp_path, line, match):
    path = _list(tmp_path, ['ok.jpg 0', '', line])
    with pytest.raises(ValueError, match=_where(path, 3) + '.*' + match):
        parse_image_list(path, num_classes=4)


def test_parse_missing_and_empty_lists(tmp_path):
    missing = str(tmp_path / 'nope.txt')
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        parse_image_list(missing)
    empty = _list(tmp_path, ['', '  '])
    with pytest.raises(ValueError, match=re.escape(empty) + '.*empty'):
        parse_image_list(empty)
    with pytest.raises(ValueError, match='pair of strings'):
        parse_image_list(
            _list(tmp_path, ['a.jpg 0'], 'b.txt'), path_rewrite='/root')


# -------------------------------------------------------------- the datasets
def test_office31_miniature_loads_and_packs(tmp_path):
    root = make_office31(str(tmp_path / 'office31'))
    init_default_scope('mmseg')
    ds = Office31Dataset(
        data_root=root, ann_file='image_list/amazon.txt', pipeline=TRAIN)
    assert len(ds) == 6
    assert ds.metainfo['classes'] == OFFICE31_CLASSES
    assert len(OFFICE31_CLASSES) == 31
    assert OFFICE31_CLASSES[5] == 'calculator'
    info = ds.get_data_info(2)
    assert info['gt_label'] == 5 and info['list_line'] == 3
    assert info['img_path'] == osp.join(
        root, 'amazon/images/calculator/frame_0001.jpg')
    item = ds[2]
    assert item['inputs'].shape == (3, 28, 28)
    sample = item['data_samples']
    assert sample.gt_label.tolist() == [5]
    assert sample.img_path == info['img_path'] and sample.sample_idx == 2


def test_missing_image_named_with_line(tmp_path):
    root = make_office31(str(tmp_path / 'office31'))
    lst = osp.join(root, 'image_list', 'amazon.txt')
    with open(lst, 'a') as f:
        f.write('amazon/images/mug/frame_0099.jpg 17\n')
    with pytest.raises(
            FileNotFoundError, match=_where(lst, 7) + '.*frame_0099.jpg'):
        Office31Dataset(data_root=root, ann_file='image_list/amazon.txt')
    ds = Office31Dataset(
        data_root=root, ann_file='image_list/amazon.txt', check_images=False)
    assert len(ds) == 7


def test_label_out_of_range_for_benchmark(tmp_path):
    root = make_office31(str(tmp_path / 'office31'))
    lst = osp.join(root, 'image_list', 'amazon.txt')
    with open(lst, 'a') as f:
        f.write('amazon/images/x/frame_0001.jpg 31\n')
    with pytest.raises(
            ValueError, match=_where(lst, 7) + '.*out of range for 31'):
        Office31Dataset(data_root=root, ann_file='image_list/amazon.txt')


def test_class_count_mismatch(tmp_path):
    root = make_office31(str(tmp_path / 'office31'))
    with pytest.raises(
            ValueError,
            match='num_classes=30 but the metainfo '
            'has 31 class names'):
        Office31Dataset(
            data_root=root, ann_file='image_list/amazon.txt', num_classes=30)
    # a generic list: num_classes bounds the labels
    lst = osp.join(root, 'image_list', 'amazon.txt')
    with pytest.raises(
            ValueError, match=_where(lst, 5) + '.*out of range for 6'):
        ImageListDataset(
            data_root=root, ann_file='image_list/amazon.txt', num_classes=6)
    ds = ImageListDataset(data_root=root, ann_file='image_list/amazon.txt')
    assert ds.num_classes is None and len(ds) == 6


def test_folder_of_another_class_is_reported(tmp_path):
    root = make_office31(str(tmp_path / 'office31'))
    write_image(osp.join(root, 'amazon/images/mug/frame_0001.jpg'), 1)
    lst = _list(tmp_path, [
        'amazon/images/back_pack/frame_0001.jpg 0',
        'amazon/images/mug/frame_0001.jpg 16'
    ])
    with pytest.raises(
            ValueError,
            match=_where(lst, 2) + ".*'mouse'.*folder 'mug' \\(class 17\\)"):
        Office31Dataset(data_root=root, ann_file=lst)
    assert len(
        Office31Dataset(data_root=root, ann_file=lst,
                        check_class_names=False)) == 2


def test_path_rewrite_for_placeholder_lists(tmp_path):
    root = make_office31(str(tmp_path / 'office31'))
    lst = _list(tmp_path, ['/root/amazon/images/bike/frame_0001.jpg 1'])
    write_image(osp.join(root, 'amazon/images/bike/frame_0001.jpg'), 3)
    with pytest.raises(FileNotFoundError, match='path_rewrite'):
        Office31Dataset(data_root=root, ann_file=lst)
    ds = Office31Dataset(
        data_root=root, ann_file=lst, path_rewrite=('/root/', ''))
    assert ds.get_data_info(0)['img_path'] == osp.join(
        root, 'amazon/images/bike/frame_0001.jpg')


def test_space_in_path_and_data_prefix(tmp_path):
    root = str(tmp_path / 'ds')
    write_image(osp.join(root, 'imgs', 'my class', 'a b.png'), 0)
    lst = _list(tmp_path, ['my class/a b.png 1'])
    ds = ImageListDataset(
        data_root=root,
        ann_file=lst,
        num_classes=2,
        data_prefix=dict(img_path='imgs'))
    assert ds.get_data_info(0)['img_path'] == osp.join(root, 'imgs',
                                                       'my class', 'a b.png')


def test_office_home_class_orders(tmp_path):
    assert OFFICE_HOME_CLASSES[:3] == ('Drill', 'Exit_Sign', 'Bottle')
    assert OFFICE_HOME_CLASSES[64] == 'Marker'
    assert len(set(OFFICE_HOME_CLASSES)) == 65
    root = make_office_home(str(tmp_path / 'oh'))
    ds = OfficeHomeDataset(data_root=root, ann_file='image_list/Art.txt')
    assert [ds.get_data_info(i)['gt_label'] for i in (0, 2, 4)] == [0, 16, 64]
    alpha = OfficeHomeDataset(
        data_root=root,
        ann_file='image_list/Art.txt',
        class_order='alphabetical',
        check_class_names=False)
    classes = alpha.metainfo['classes']
    assert classes[0] == 'Alarm_Clock' and classes[16] == 'Drill'
    assert classes[63] == 'TV' and classes[64] == 'Webcam'
    ascii_ = OfficeHomeDataset(
        data_root=root,
        ann_file='image_list/Art.txt',
        class_order='ascii',
        check_class_names=False)
    assert ascii_.metainfo['classes'][58:60] == ('TV', 'Table')
    # the common-order list read as alphabetical: line 1 is Drill in folder
    # Drill but label 0 = Alarm_Clock -> reported with the hint
    lst = osp.join(root, 'image_list', 'Art.txt')
    with pytest.raises(
            ValueError,
            match=_where(lst, 1) + ".*'Alarm_Clock'.*'Drill'.*class_order"):
        OfficeHomeDataset(
            data_root=root,
            ann_file='image_list/Art.txt',
            class_order='alphabetical')
    with pytest.raises(ValueError, match='class_order must be one of'):
        OfficeHomeDataset(
            data_root=root,
            ann_file='image_list/Art.txt',
            class_order='sorted')


def test_visda_and_domainnet_classes(tmp_path):
    assert VISDA_CLASSES == ('aeroplane', 'bicycle', 'bus', 'car', 'horse',
                             'knife', 'motorcycle', 'person', 'plant',
                             'skateboard', 'train', 'truck')
    assert VisDADataset.METAINFO['classes'] == VISDA_CLASSES
    assert len(DOMAINNET_CLASSES) == len(set(DOMAINNET_CLASSES)) == 345
    assert len(DOMAINNET126_CLASSES) == len(set(DOMAINNET126_CLASSES)) == 126
    assert set(DOMAINNET126_CLASSES) <= set(DOMAINNET_CLASSES)
    # the 126 keep the order of the 345 (MME's labels)
    idx = [DOMAINNET_CLASSES.index(c) for c in DOMAINNET126_CLASSES]
    assert idx == sorted(idx)
    assert DOMAINNET_CLASSES[:3] == ('aircraft_carrier', 'airplane',
                                     'alarm_clock')
    assert DOMAINNET_CLASSES[-1] == 'zigzag'
    root = make_domainnet(str(tmp_path / 'dn'), domains=('clipart', ))
    ds = DomainNetDataset(data_root=root, ann_file='clipart_test.txt')
    assert len(ds) == 4 and ds.get_data_info(3)['gt_label'] == 344
    sub = DomainNetDataset(
        data_root=root,
        subset='126',
        ann_file='image_list_126/labeled_source_images_clipart.txt')
    assert len(sub.metainfo['classes']) == 126
    # a 345-class list read as the 126 subset: label 344 out of range
    with pytest.raises(
            ValueError,
            match=_where(osp.join(root, 'clipart_test.txt'), 3) +
            '.*126 classes'):
        DomainNetDataset(
            data_root=root, subset=126, ann_file='clipart_test.txt')
    with pytest.raises(ValueError, match="subset must be '345' or '126'"):
        DomainNetDataset(
            data_root=root, subset='40', ann_file='clipart_test.txt')


# ------------------------------------------ issue 16: bad lists fail at load
def test_duplicate_line_is_refused_at_load_with_both_lines(tmp_path):
    """Case 5: a path listed twice is named with both ``<list>:<line>``
    (it used to load and fail after an epoch, in the pool dataloader)."""
    path = _list(tmp_path,
                 ['a/x.jpg 0', 'a/y.jpg 1', '', 'a/./x.jpg 2', 'a/z.jpg 1'])
    with pytest.raises(ValueError) as e:
        parse_image_list(path, num_classes=3)
    msg = str(e.value)
    assert msg.startswith(f'{path}:4: ')
    assert f'{path}:1 and {path}:4' in msg and 'listed twice' in msg
    root = make_office31(str(tmp_path / 'office31'))
    lst = osp.join(root, 'image_list', 'amazon.txt')
    with open(lst) as f:
        first = f.readline()
    with open(lst, 'a') as f:
        f.write(first)
    with pytest.raises(
            ValueError, match=_where(lst, 1) + ' and ' + _where(lst, 7)):
        Office31Dataset(data_root=root, ann_file='image_list/amazon.txt')


def test_utf8_bom_at_the_start_of_a_list_is_stripped(tmp_path):
    """Case 10: a BOM (Windows editors) is not part of the first path; one
    inside the file is refused with its line."""
    root = make_office31(str(tmp_path / 'office31'))
    lst = osp.join(root, 'image_list', 'amazon.txt')
    with open(lst, encoding='utf-8') as f:
        text = f.read()
    with open(lst, 'w', encoding='utf-8-sig') as f:  # writes the BOM
        f.write(text)
    with open(lst, 'rb') as f:
        assert f.read(3) == b'\xef\xbb\xbf'
    ds = Office31Dataset(data_root=root, ann_file='image_list/amazon.txt')
    assert ds.get_data_info(0)['img_path'] == osp.join(
        root,
        text.split('\n')[0].rsplit(maxsplit=1)[0])
    inner = _list(tmp_path, ['a.jpg 0', '\ufeffb.jpg 1'])
    with pytest.raises(ValueError, match=_where(inner, 2) + '.*U\\+FEFF'):
        parse_image_list(inner)


def _truncate(path, keep):
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * keep)])


@pytest.mark.parametrize('ext', ['.png', '.jpg'])
def test_truncated_image_is_found_at_load_with_its_line(tmp_path, ext):
    """Case 7: a truncated image is found by the header check when the
    dataset loads (not at the first validation), named with its line;
    ``check_images='exists'`` and ``False`` skip it."""
    root = str(tmp_path / 'lst')
    lines = []
    for i in range(4):
        rel = f'c{i % 2}/img{i}{ext}'
        write_image(osp.join(root, rel), seed=i, size=(48, 64))
        lines.append(f'{rel} {i % 2}')
    lst = _list(tmp_path, lines, 'l.txt')
    ImageListDataset(ann_file=lst, data_root=root, num_classes=2)
    bad = osp.join(root, lines[2].split()[0])
    _truncate(bad, 0.6)
    with pytest.raises(ValueError) as e:
        ImageListDataset(ann_file=lst, data_root=root, num_classes=2)
    msg = str(e.value)
    assert f'{lst}:3: {bad} is truncated' in msg, msg
    assert "check_images='exists'" in msg
    for skip in ('exists', False):
        ds = ImageListDataset(
            ann_file=lst, data_root=root, num_classes=2, check_images=skip)
        assert len(ds) == 4
    with pytest.raises(ValueError, match='check_images must be'):
        ImageListDataset(
            ann_file=lst, data_root=root, num_classes=2, check_images='yes')


def test_image_header_check_accepts_good_files_names_bad_ones(tmp_path):
    from mmseg_ada.datasets.image_list import image_file_problem
    png, jpg = str(tmp_path / 'a.png'), str(tmp_path / 'a.jpg')
    write_image(png, 0, (40, 50))
    write_image(jpg, 0, (40, 50))
    assert image_file_problem(png) is None
    assert image_file_problem(jpg) is None
    # bytes after a JPEG's end marker (some cameras pad files): accepted
    padded = str(tmp_path / 'padded.jpg')
    with open(jpg, 'rb') as f, open(padded, 'wb') as g:
        g.write(f.read() + b'\0' * 10000)
    assert image_file_problem(padded) is None
    empty = str(tmp_path / 'empty.jpg')
    open(empty, 'wb').close()
    assert image_file_problem(empty) == 'is empty (0 bytes)'
    text = str(tmp_path / 'text.jpg')
    with open(text, 'w') as f:
        f.write('not an image')
    assert image_file_problem(text).startswith('is not an image')
    for p in (png, jpg):
        _truncate(p, 0.5)
        assert image_file_problem(p).startswith('is truncated'), p


def test_a_list_of_unlabelled_images(tmp_path):
    """A new target domain: one path per line (spaces kept), no labels;
    duplicates are still refused."""
    path = _list(tmp_path, ['a/b c/img 1.jpg', '', 'plain 3.png'])
    entries = parse_image_list(path, num_classes=4, with_labels=False)
    assert [(e.path, e.label, e.lineno)
            for e in entries] == [('a/b c/img 1.jpg', None, 1),
                                  ('plain 3.png', None, 3)]
    root = str(tmp_path / 'imgs')
    for name in ('x.png', 'y z.png'):
        write_image(osp.join(root, name), seed=1)
    lst = _list(tmp_path, ['x.png', 'y z.png'], name='unl.txt')
    ds = ImageListDataset(
        ann_file=lst,
        data_prefix=dict(img_path=root),
        metainfo=dict(classes=('a', 'b')),
        with_labels=False,
        pipeline=[])
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [osp.basename(i['img_path']) for i in infos] == ['x.png', 'y z.png']
    assert all('gt_label' not in i for i in infos)
    lst2 = _list(tmp_path, ['x.png', './x.png'], name='dup.txt')
    with pytest.raises(ValueError, match='listed twice'):
        parse_image_list(lst2, with_labels=False)
