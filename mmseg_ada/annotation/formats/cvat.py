"""CVAT: "CVAT for images 1.1" XML, written for a task and read back.

Export (``<out_dir>/``):

* ``annotations.xml``: the labels (one per class, type ``mask``; with
  ``--no-predictions`` also ``mmseg-ada:asked``), then one ``<image>`` per
  image of the round, in the dataset's order (``id`` 0..N-1, ``name`` the
  image path relative to the request's image root), holding a ``<mask>``
  per bought region with the model's class (CVAT's RLE inside the region's
  box) - or ``<tag>`` with the predicted class (classification);
* ``images.txt``: the images in the same order, to create the CVAT task
  with (``sorting_method`` "predefined" keeps the order) before uploading
  ``annotations.xml`` with "CVAT for images 1.1";
* ``labels.json``: the task's labels for CVAT's label constructor (Raw).

Import: the same format as CVAT exports it.  Images are matched by name
(as exported), else by frame id when the file names agree; ``<mask>`` and
``<polygon>`` shapes are painted by ``z_order`` (then document order, a
later shape wins); ``<tag>`` gives an image's class; shapes labelled
``mmseg-ada:asked`` are ignored.
"""
from __future__ import annotations

import os.path as osp
import xml.etree.ElementTree as ET
from typing import List, Optional

import cv2
import numpy as np

from ..answers import AnnotationImportError, RawAnswers
from ..request import AnnotationRequest, RequestedImage
from ..rle import (cvat_rle_decode, cvat_rle_encode, format_cvat_rle,
                   parse_cvat_rle)
from ._common import (ASKED, blank, class_index, refuse_folder, unit_groups,
                      write_json, write_text)

__all__ = ['NAME', 'KINDS', 'export', 'parse', 'mask_element']

NAME = 'cvat'
KINDS = ('mask', 'image')


def export(request: AnnotationRequest,
           out_dir: str,
           predictions: bool = True,
           **unused) -> List[str]:
    """Write ``annotations.xml`` and ``images.txt`` to ``out_dir``.

    Args:
        request: the round's request.
        out_dir: the export folder.
        predictions: pre-fill the model's classes (else, for masks, the
            asked pixels as ``mmseg-ada:asked`` masks).

    Returns:
        list[str]: the files written.
    """
    root = ET.Element('annotations')
    ET.SubElement(root, 'version').text = '1.1'
    task = ET.SubElement(ET.SubElement(root, 'meta'), 'task')
    ET.SubElement(task, 'name').text = f'mmseg-ada round {request.round}'
    ET.SubElement(task, 'size').text = str(len(request.images))
    ET.SubElement(task, 'mode').text = 'annotation'
    labels = ET.SubElement(task, 'labels')
    names = list(request.classes)
    shape_type = 'mask' if request.kind == 'mask' else 'tag'
    if request.kind == 'mask' and not (predictions and request.predictions):
        names.append(ASKED)
    for name in names:
        lab = ET.SubElement(labels, 'label')
        ET.SubElement(lab, 'name').text = name
        ET.SubElement(lab, 'type').text = shape_type
        ET.SubElement(lab, 'attributes')
    for n, im in enumerate(request.images):
        node = ET.SubElement(
            root,
            'image',
            id=str(n),
            name=im.name,
            width=str(im.width),
            height=str(im.height))
        if request.kind == 'image':
            if predictions and im.predicted is not None:
                ET.SubElement(
                    node,
                    'tag',
                    label=request.classes[im.predicted],
                    source='auto')
            continue
        for _, cls, m in unit_groups(request, im, predictions):
            mask_element(node, ASKED if cls is None else request.classes[cls],
                         m, 'auto')
    ET.indent(root)
    xml = ('<?xml version="1.0" encoding="utf-8"?>\n' +
           ET.tostring(root, encoding='unicode') + '\n')
    # for CVAT's label constructor (Raw): every class, as masks or tags
    labels_json = [dict(name=n, type=shape_type, attributes=[]) for n in names]
    return [
        write_text(osp.join(out_dir, 'annotations.xml'), xml),
        write_text(
            osp.join(out_dir, 'images.txt'),
            ''.join(im.img_path + '\n' for im in request.images)),
        write_json(osp.join(out_dir, 'labels.json'), labels_json, indent=1)
    ]


def mask_element(node: ET.Element, label: str, mask: np.ndarray,
                 source: str) -> ET.Element:
    """Add a ``<mask>`` of ``label`` (CVAT's RLE in the mask's box) to an
    ``<image>``.

    Args:
        node: the ``<image>`` element.
        label: the class name (or the asked layer's name).
        mask: ``bool [H, W]`` pixels of the mask.
        source: CVAT's ``source`` attribute (e.g. ``'auto'``,
            ``'manual'``).

    Returns:
        ET.Element: the new ``<mask>`` element.
    """
    rle, left, top, width, height = cvat_rle_encode(mask)
    return ET.SubElement(
        node,
        'mask',
        label=label,
        source=source,
        occluded='0',
        rle=format_cvat_rle(rle),
        left=str(left),
        top=str(top),
        width=str(width),
        height=str(height),
        z_order='0')


def _match(request: AnnotationRequest, node: ET.Element, name: str,
           path: str) -> RequestedImage:
    """The requested image of an ``<image>``: by its name as exported, else
    (a task whose frames CVAT named by their file names only) by its frame
    ``id`` - the position in the exported order, kept by "Predefined"
    sorting - when the file names agree."""
    im = request.by_name(name)
    if im is not None:
        return im
    frame = node.attrib.get('id', '')
    if frame.isdigit() and int(frame) < len(request.images):
        im = request.images[int(frame)]
        if osp.basename(im.name) == osp.basename(name.replace('\\', '/')):
            return im
    raise AnnotationImportError(
        'the image is not in the round (images are matched by the name '
        "exported in cvat/annotations.xml, e.g. "
        f"{request.images[0].name!r}, or by frame id with the same file "
        'name)', path, request.round, name)


def _int(node: ET.Element, key: str, path: str, k: int,
         image: Optional[str]) -> int:
    try:
        return int(float(node.attrib[key]))
    except (KeyError, ValueError):
        raise AnnotationImportError(
            f'<{node.tag}> has no valid {key!r} attribute '
            f'({node.attrib.get(key)!r})', path, k, image) from None


def parse(path: str, request: AnnotationRequest) -> RawAnswers:
    """Read a "CVAT for images 1.1" XML of a round.

    Args:
        path: ``annotations.xml`` (a folder is refused).
        request: the round's request the answers belong to.

    Returns:
        RawAnswers: what the file says, before clipping to the request.

    Raises:
        AnnotationImportError: not that format, an image that is not in the
            round, a size that differs from the image, an unknown class, a
            malformed RLE, a shape that is not a mask, polygon or tag.
    """
    k = request.round
    refuse_folder(path, k,
                  'a CVAT import reads annotations.xml (CVAT for images 1.1)')
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, UnicodeDecodeError) as e:
        raise AnnotationImportError(
            f'not a CVAT for images 1.1 XML file ({e})', path, k) from None
    version = (root.findtext('version') or '').strip()
    if root.tag != 'annotations' or version != '1.1':
        raise AnnotationImportError(
            f'not a CVAT for images 1.1 XML file (root <{root.tag}>, '
            f'version {version!r})', path, k)
    classes = class_index(request)
    raw = RawAnswers()
    seen = set()
    for node in root.iter('image'):
        name = node.attrib.get('name', '')
        im = _match(request, node, name, path)
        if im.name in seen:
            raise AnnotationImportError('the image is listed twice', path, k,
                                        name)
        seen.add(im.name)
        w, h = (_int(node, 'width', path, k,
                     name), _int(node, 'height', path, k, name))
        if (w, h) != (im.width, im.height):
            raise AnnotationImportError(
                f'an image of {w}x{h} in the file, {im.width}x{im.height} '
                'on disk', path, k, name)
        shapes = []
        for order, shape in enumerate(node):
            label = shape.attrib.get('label')
            if label == ASKED:
                continue
            if label not in classes:
                raise AnnotationImportError(
                    f'class {label!r} is not a class of the dataset', path, k,
                    name)
            if shape.tag == 'tag':
                shapes.append((0, order, shape.tag, classes[label], None))
            elif shape.tag in ('mask', 'polygon'):
                if request.kind != 'mask':
                    raise AnnotationImportError(
                        f'a <{shape.tag}> in a round that asks for whole '
                        'images (use <tag>)', path, k, name)
                z = _int(shape, 'z_order', path, k, name) \
                    if 'z_order' in shape.attrib else 0
                shapes.append((z, order, shape.tag, classes[label], shape))
            else:
                raise AnnotationImportError(
                    f'a <{shape.tag}> shape: only masks and polygons '
                    '(segmentation) or tags (classification) are labels', path,
                    k, name)
        if request.kind == 'image':
            tags = [s[3] for s in shapes]
            if len(tags) > 1:
                raise AnnotationImportError(
                    f'{len(tags)} tags; one class per image', path, k, name)
            raw.images[im.index] = tags[0] if tags else None
            continue
        if any(s[2] == 'tag' for s in shapes):
            raise AnnotationImportError(
                'a <tag> in a round that asks for pixels', path, k, name)
        lab = blank(im)
        for _, _, tag, cls, shape in sorted(shapes, key=lambda s: s[:2]):
            if tag == 'mask':
                box = [
                    _int(shape, key, path, k, name)
                    for key in ('left', 'top', 'width', 'height')
                ]
                try:
                    m = cvat_rle_decode(
                        parse_cvat_rle(shape.attrib.get('rle', '')), *box,
                        im.height, im.width)
                except ValueError as e:
                    raise AnnotationImportError(f'malformed mask RLE ({e})',
                                                path, k, name) from None
            else:
                m = _polygon(shape, im.height, im.width, path, k, name)
            lab[m] = cls
        raw.masks[im.stem] = lab
    return raw


def _polygon(shape: ET.Element, h: int, w: int, path: str, k: int,
             name: str) -> np.ndarray:
    """Rasterise a ``<polygon points="x,y;x,y;...">``."""
    try:
        pts = np.asarray([[float(v) for v in p.split(',')]
                          for p in shape.attrib['points'].split(';')])
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
            raise ValueError(f'{len(pts)} points')
    except (KeyError, ValueError) as e:
        raise AnnotationImportError(f'malformed polygon points ({e})', path, k,
                                    name) from None
    canvas = np.zeros((h, w), np.uint8)
    cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 1)
    return canvas.astype(bool)
