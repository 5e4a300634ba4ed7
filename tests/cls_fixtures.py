"""Miniature image-list classification datasets written by the tests.

Tiny images (JPG/PNG, a few pixels) in the folder layouts of the common
Office-31 / Office-Home / VisDA / DomainNet lists, with ``<path> <label>``
image lists next to them.
"""
import os
import os.path as osp

import cv2
import numpy as np


def write_image(path, seed, size=(12, 16)):
    """A random BGR image; the extension picks the format."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
    assert cv2.imwrite(path, img), path
    return img


def write_list(path, lines):
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


def make_domain(root,
                rel_fmt,
                list_path,
                classes,
                labels=(0, 1, 2),
                per_class=2,
                ext='.jpg',
                seed=0,
                size=(12, 16)):
    """Write ``per_class`` images (``size``) of each class in ``labels``.

    ``rel_fmt`` formats the path relative to ``root`` with ``cls`` and
    ``i``; the list (``list_path`` relative to ``root``) holds
    ``<rel path> <label>`` lines.  Returns the list's lines.
    """
    lines = []
    for label in labels:
        for i in range(per_class):
            rel = rel_fmt.format(cls=classes[label], i=i + 1) + ext
            write_image(
                osp.join(root, rel), seed * 1000 + label * 10 + i, size)
            lines.append(f'{rel} {label}')
    write_list(osp.join(root, list_path), lines)
    return lines


def halves(root, list_path):
    """SAGE's seeded halves of a list (``tools/dataset_converters/
    split_image_list.py``: ``<list>_s0_half{1,2}.txt``)."""
    from mmseg_ada.datasets.split_list import split_image_list
    split_image_list(osp.join(root, list_path), seed=0)


def make_office31(root, domains=('amazon', 'webcam')):
    """``root/<domain>/images/<class>/frame_000k.jpg`` +
    ``root/image_list/<domain>.txt`` (classes 0, 5, 30) and its halves."""
    from mmseg_ada.datasets.office31 import OFFICE31_CLASSES
    for d, domain in enumerate(domains):
        make_domain(
            root,
            domain + '/images/{cls}/frame_{i:04d}',
            f'image_list/{domain}.txt',
            OFFICE31_CLASSES,
            labels=(0, 5, 30),
            seed=d)
        halves(root, f'image_list/{domain}.txt')
    return root


def make_office_home(root, domains=('Art', 'Clipart')):
    from mmseg_ada.datasets.office_home import OFFICE_HOME_CLASSES
    for d, domain in enumerate(domains):
        make_domain(
            root,
            domain + '/{cls}/{i:05d}',
            f'image_list/{domain}.txt',
            OFFICE_HOME_CLASSES,
            labels=(0, 16, 64),
            seed=10 + d)
    return root


def make_visda(root):
    from mmseg_ada.datasets.visda import VISDA_CLASSES
    for d, domain in enumerate(('train', 'validation')):
        make_domain(
            root,
            domain + '/{cls}/img_{i}',
            f'image_list/{domain}.txt',
            VISDA_CLASSES,
            labels=(0, 11),
            ext='.png',
            seed=20 + d)
        halves(root, f'image_list/{domain}.txt')
    return root


def make_domainnet(root, domains=('clipart', 'real')):
    from mmseg_ada.datasets.domainnet import (DOMAINNET126_CLASSES,
                                              DOMAINNET_CLASSES)
    for d, domain in enumerate(domains):
        for split in ('train', 'test'):
            make_domain(
                root,
                domain + '/{cls}/' + f'{domain}_{split}_' + '{i}',
                f'{domain}_{split}.txt',
                DOMAINNET_CLASSES,
                labels=(0, 344),
                seed=30 + d)
        make_domain(
            root,
            domain + '/{cls}/' + f'{domain}_126_' + '{i}',
            f'image_list_126/labeled_source_images_{domain}.txt',
            DOMAINNET126_CLASSES,
            labels=(0, 125),
            seed=40 + d)
        halves(root, f'image_list_126/labeled_source_images_{domain}.txt')
    return root
