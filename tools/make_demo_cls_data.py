"""Write the built-in classification demo pair: digits -> shifted digits.

``python tools/make_demo_cls_data.py data/demo_cls`` writes, from
scikit-learn's bundled 8x8 digits (no download), 32x32 PNG images and image
lists in the usual ``<relative path> <label>`` format::

    data/demo_cls/source/<label>/<i>.png   clean white digits on black
    data/demo_cls/target/<label>/<i>.png   the other half of the digits,
                                           tinted, rotated, rescaled and
                                           noisy; half of them inverted
                                           (dark on light)
    data/demo_cls/source.txt, target.txt

The two domains use disjoint digits (even / odd indices).  Rerunning with
the same arguments does nothing; files are written atomically.
"""
import argparse
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmseg_ada.utils.io import atomic_write_bytes, atomic_write_json  # noqa

SIZE = 32
#: share of target digits drawn dark on light (the source is light on dark)
INVERTED = 0.5


def _source(img8: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    g = cv2.resize(img8 / 16.0, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
    return np.repeat((g * 255)[..., None], 3, axis=2)


def _target(img8: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    g = cv2.resize(img8 / 16.0, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
    angle = rng.uniform(-25, 25)
    scale = rng.uniform(0.8, 1.15)
    m = cv2.getRotationMatrix2D((SIZE / 2, SIZE / 2), angle, scale)
    g = cv2.warpAffine(g, m, (SIZE, SIZE), borderValue=0)
    if rng.random() < INVERTED:  # dark, tinted strokes on light paper
        ink, paper = rng.uniform(0.05, 0.35, 3), rng.uniform(0.65, 1.0, 3)
    else:  # light, tinted strokes on a grey background
        ink, paper = rng.uniform(0.6, 1.0, 3), rng.uniform(0.15, 0.45, 3)
    img = paper[None, None] * (1 - g[..., None]) + ink[None, None] * g[...,
                                                                       None]
    img = img + rng.normal(0, 0.08, img.shape)
    return np.clip(img * 255, 0, 255)


def _write(root: str, domain: str, images, labels, fn, rng) -> list:
    lines = []
    for i, (img8, y) in enumerate(zip(images, labels)):
        rel = f'{domain}/{y}/{i:04d}.png'
        path = osp.join(root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        ok, buf = cv2.imencode('.png', fn(img8, rng).astype(np.uint8))
        assert ok
        atomic_write_bytes(path, buf.tobytes(), fsync=False)
        lines.append(f'{rel} {y}')
    text = '\n'.join(lines) + '\n'
    atomic_write_bytes(osp.join(root, f'{domain}.txt'), text.encode())
    return lines


def make_digits_da(root: str, seed: int = 0) -> dict:
    """Write the pair under ``root``; returns the counts per domain."""
    from sklearn.datasets import load_digits
    params = dict(seed=int(seed), size=SIZE, inverted=INVERTED, version=2)
    meta = osp.join(root, 'meta.json')
    if osp.isfile(meta):
        with open(meta) as f:
            old = json.load(f)
        if old.get('params') == params:
            return old['counts']
    digits = load_digits()
    imgs, ys = digits.images, digits.target
    rng = np.random.default_rng(seed)
    counts = dict(
        source=len(_write(root, 'source', imgs[0::2], ys[0::2], _source, rng)),
        target=len(_write(root, 'target', imgs[1::2], ys[1::2], _target, rng)))
    atomic_write_json(meta, dict(params=params, counts=counts))
    return counts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('root', nargs='?', default='data/demo_cls')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    counts = make_digits_da(args.root, args.seed)
    print(f"{args.root}: {counts['source']} source and {counts['target']} "
          'target images (10 classes)')


if __name__ == '__main__':
    main()
