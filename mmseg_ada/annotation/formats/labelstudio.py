"""Label Studio: JSON tasks with pre-annotations, and its JSON export back.

Export (``<out_dir>/``):

* ``labeling_config.xml``: the project's labelling interface: brush
  labels, one per class, named ``label`` (segmentation), or single
  ``choices`` named ``label`` (classification); segmentation also shows
  the asked pixels as a read-only ``asked`` layer;
* ``tasks.json`` (or ``tasks_001.json``, ... of at most 40 MB each: Label
  Studio imports at most 50 MB at a time): one task per image;
  ``data.image`` is ``url_prefix`` + the image path relative to
  ``document_root`` (Label Studio's local-files
  serving by default), ``data.ada_round`` / ``ada_index`` / ``ada_stem`` /
  ``ada_name`` map every answer back to its image (they come back in Label
  Studio's export); ``predictions`` pre-fill each bought region with the
  model's class (brush RLE in Label Studio's own encoding, the region id as
  the result id) or each image with its predicted class.

Import: Label Studio's JSON export of the project (a list of tasks with
their ``annotations``).  Per task the annotation marked ``ground_truth``
wins, else the most recently updated one that was not cancelled; its
``label`` brushes are painted in order (a later stroke wins where strokes
overlap) into one label map per image.
"""
from __future__ import annotations

import json
import os.path as osp
from typing import Any, Dict, List, Optional
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

import numpy as np

from ..answers import AnnotationImportError, RawAnswers
from ..request import AnnotationRequest
from ..rle import ls_rle_decode, ls_rle_encode
from ._common import (blank, class_index, load_json, refuse_folder,
                      unit_groups, write_json, write_text)

__all__ = ['NAME', 'KINDS', 'export', 'parse', 'labeling_config']

NAME = 'labelstudio'
KINDS = ('mask', 'image')
LOCAL_FILES = '/data/local-files/?d='
#: the largest tasks file written (Label Studio imports at most 50 MB)
MAX_IMPORT_BYTES = 40 * 2**20


def labeling_config(request: AnnotationRequest) -> str:
    """The labelling-config XML to create the project with.

    Args:
        request: the round's request (its kind and classes decide the
            config: brush labels for masks, choices for images).

    Returns:
        str: the XML.
    """
    labels = '\n'.join(f'    <Label value={quoteattr(c)}/>'
                       for c in request.classes)
    choices = '\n'.join(f'    <Choice value={quoteattr(c)}/>'
                        for c in request.classes)
    if request.kind == 'mask':
        return f'''<View>
  <Header value="mmseg-ada round {request.round}: label the pixels of the \
'asked' layer; pixels left unlabelled stay unlabelled"/>
  <Image name="image" value="$image" zoom="true" zoomControl="true"/>
  <BrushLabels name="label" toName="image">
{labels}
  </BrushLabels>
  <BrushLabels name="asked" toName="image">
    <Label value="asked" background="#ffffff"/>
  </BrushLabels>
</View>
'''
    return f'''<View>
  <Header value="mmseg-ada round {request.round}: the class of the image"/>
  <Image name="image" value="$image" zoom="true"/>
  <Choices name="label" toName="image" choice="single" showInLine="true">
{choices}
  </Choices>
</View>
'''


def _brush(rid: str, name: str, label: str, mask: np.ndarray,
           readonly: bool) -> Dict[str, Any]:
    h, w = mask.shape
    out = dict(
        id=rid,
        type='brushlabels',
        from_name=name,
        to_name='image',
        original_width=int(w),
        original_height=int(h),
        image_rotation=0,
        value=dict(format='rle', rle=ls_rle_encode(mask), brushlabels=[label]))
    if readonly:
        out['readonly'] = True
    return out


def export(request: AnnotationRequest,
           out_dir: str,
           predictions: bool = True,
           url_prefix: str = LOCAL_FILES,
           document_root: Optional[str] = None) -> List[str]:
    """Write ``labeling_config.xml`` and ``tasks.json`` to ``out_dir``.

    Args:
        request: the round's request.
        out_dir: the export folder.
        predictions: pre-fill the model's classes.
        url_prefix: image URLs are ``url_prefix`` + the path relative to
            ``document_root``.
        document_root: default: the folder above the request's
            ``image_root`` (Label Studio serves local files only from a
            storage folder strictly inside its document root: the images'
            folder then is one).

    Returns:
        list[str]: the files written.
    """
    root = (
        osp.abspath(document_root)
        if document_root else osp.dirname(request.image_root))
    tasks = []
    for im in request.images:
        rel = osp.relpath(im.img_path, root).replace(osp.sep, '/')
        if rel == '..' or rel.startswith('../'):
            raise ValueError(
                f'image {im.img_path} is not inside the document root '
                f'{root}: Label Studio could not serve it (give a '
                'document_root that holds every target image)')
        task: Dict[str, Any] = dict(
            data=dict(
                image=url_prefix + quote(rel, safe='/'),
                ada_round=request.round,
                ada_index=im.index,
                ada_stem=im.stem,
                ada_name=im.name))
        result = []
        if request.kind == 'mask':
            # per bought region: its read-only 'asked' brush (the region
            # id travels with it) and, with predictions, a brush of the
            # model's class to correct
            for rid, cls, m in unit_groups(request, im, predictions):
                result.append(
                    _brush(f'{rid}-asked', 'asked', 'asked', m, readonly=True))
                if cls is not None:
                    result.append(
                        _brush(rid, 'label', request.classes[cls], m, False))
        elif predictions and im.predicted is not None:
            result.append(
                dict(
                    id=f'i{im.index}',
                    type='choices',
                    from_name='label',
                    to_name='image',
                    value=dict(choices=[request.classes[im.predicted]])))
        if result:
            task['predictions'] = [
                dict(
                    model_version=f'mmseg-ada round {request.round}',
                    result=result)
            ]
        tasks.append(task)
    files = [
        write_text(
            osp.join(out_dir, 'labeling_config.xml'),
            labeling_config(request)),
        write_text(
            osp.join(out_dir, 'README.txt'), _readme(request, root,
                                                     url_prefix))
    ]
    # Label Studio takes at most 50 MB per import: parts of <= 40 MB
    parts, part, size = [], [], 0
    for task in tasks:
        n = len(json.dumps(task))
        if part and size + n > MAX_IMPORT_BYTES:
            parts.append(part)
            part, size = [], 0
        part.append(task)
        size += n
    parts.append(part)
    if len(parts) == 1:
        files.append(write_json(osp.join(out_dir, 'tasks.json'), tasks))
    else:
        for j, part in enumerate(parts, start=1):
            files.append(
                write_json(osp.join(out_dir, f'tasks_{j:03d}.json'), part))
    return files


def _readme(request: AnnotationRequest, root: str, url_prefix: str) -> str:
    """How to label this round in Label Studio."""
    k = request.round
    lines = [
        f'mmseg-ada round {k}: {len(request.images)} images to label',
        '1. Create a project; Settings -> Labeling Interface -> Code: paste',
        '   labeling_config.xml.'
    ]
    if url_prefix == LOCAL_FILES:
        lines += [
            '2. Start Label Studio so that it serves the images from disk:',
            '     LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true \\',
            f'     LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT={root} \\',
            '       label-studio start',
            "   and add, in the project's Settings -> Cloud Storage -> Add",
            '   Source Storage -> Local files, the absolute local path',
            f'     {request.image_root}',
            '   (do not press Sync: the tasks come from step 3).'
        ]
    else:
        lines.append(f'2. The image URLs are {url_prefix}<path relative to '
                     f'{root}>.')
    lines += [
        '3. Import tasks.json (or tasks_001.json, ...: at most 40 MB each).',
        '4. Label each task (correct the suggested classes, paint, erase;',
        '   pixels nobody labels stay unlabelled), Submit.',
        '5. Export -> JSON, then:',
        f'     python tools/annotate.py import WORK_DIR --round {k} \\',
        '       EXPORT.json --format labelstudio'
    ]
    return '\n'.join(lines) + '\n'


def _pick(task: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The annotation of a task that counts (or ``None``)."""
    anns = [
        a for a in task.get('annotations') or []
        if isinstance(a, dict) and not a.get('was_cancelled')
    ]
    if not anns:
        return None
    return max(
        anns,
        key=lambda a: (bool(a.get('ground_truth')),
                       str(a.get('updated_at') or a.get('created_at') or ''),
                       a.get('id') or 0))


def parse(path: str, request: AnnotationRequest) -> RawAnswers:
    """Read Label Studio's JSON export of a round's project.

    Args:
        path: the JSON export (a folder is refused).
        request: the round's request the answers belong to.

    Returns:
        RawAnswers: what the file says, before clipping to the request.

    Raises:
        AnnotationImportError: not a Label Studio JSON export, a task of
            another round or not exported by mmseg-ada, an image that is
            not in the round, an unknown class, a brush whose size differs
            from the image, a malformed RLE.
    """
    k = request.round
    refuse_folder(
        path, k, "a Label Studio import reads the project's JSON export "
        '(a file)')
    try:
        tasks = load_json(path)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise AnnotationImportError(
            f'not a Label Studio JSON export (not JSON: {e})', path,
            k) from None
    if not isinstance(tasks, list) or not all(
            isinstance(t, dict) and 'data' in t for t in tasks):
        raise AnnotationImportError(
            'not a Label Studio JSON export (expected a list of tasks, each '
            'with "data" and "annotations")', path, k)
    classes = class_index(request)
    raw = RawAnswers()
    seen: Dict[int, int] = {}
    for t in tasks:
        try:
            _task(t, request, classes, raw, seen, path)
        except AnnotationImportError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise AnnotationImportError(
                f'task {t.get("id", "?")}: not a Label Studio task as it '
                f'exports them ({type(e).__name__}: {e})', path, k) from None
    return raw


def _task(t: Dict[str, Any], request: AnnotationRequest, classes: Dict[str,
                                                                       int],
          raw: RawAnswers, seen: Dict[int, Any], path: str) -> None:
    """Read one exported task into ``raw``."""
    k = request.round
    data = t['data']
    tid = t.get('id', '?')
    if 'ada_index' not in data or 'ada_round' not in data:
        raise AnnotationImportError(
            f'task {tid} has no ada_round/ada_index in its data: it was '
            'not exported by mmseg-ada (import the tasks.json of '
            '`tools/annotate.py export`)', path, k)
    if int(data['ada_round']) != k:
        raise AnnotationImportError(
            f'task {tid} belongs to round {data["ada_round"]}', path, k,
            data.get('ada_name'))
    im = request.by_index(int(data['ada_index']))
    if im is None or im.stem != data.get('ada_stem', im.stem):
        raise AnnotationImportError(
            f'task {tid}: the image is not in the round', path, k,
            data.get('ada_name', f"#{data['ada_index']}"))
    if im.index in seen:
        raise AnnotationImportError(
            f'tasks {seen[im.index]} and {tid} hold the same image', path, k,
            im.name)
    seen[im.index] = tid
    ann = _pick(t)
    if ann is None:
        return
    results = [
        r for r in ann.get('result') or []
        if isinstance(r, dict) and r.get('from_name') == 'label'
    ]
    if request.kind == 'image':
        names = [
            c for r in results
            for c in (r.get('value') or {}).get('choices') or []
        ]
        if len(names) > 1:
            raise AnnotationImportError(
                f'task {tid}: {len(names)} classes chosen ({names}); '
                'one per image', path, k, im.name)
        if names:
            if names[0] not in classes:
                raise AnnotationImportError(
                    f'class {names[0]!r} is not a class of the dataset', path,
                    k, im.name)
            raw.images[im.index] = classes[names[0]]
        return
    lab = blank(im)
    for r in results:
        value = r.get('value') or {}
        if r.get('type') != 'brushlabels' or value.get('format') != 'rle':
            raise AnnotationImportError(
                f'task {tid}: a {r.get("type")!r} result; only brush '
                'labels (RLE) are read', path, k, im.name)
        w, h = r.get('original_width'), r.get('original_height')
        if (w, h) != (im.width, im.height):
            raise AnnotationImportError(
                f'task {tid}: a brush of {w}x{h} for an image of '
                f'{im.width}x{im.height}', path, k, im.name)
        names = value.get('brushlabels') or []
        if len(names) != 1 or names[0] not in classes:
            raise AnnotationImportError(
                f'task {tid}: class {names!r} is not a class of the '
                'dataset', path, k, im.name)
        try:
            m = ls_rle_decode(value.get('rle'), im.height, im.width)
        except ValueError as e:
            raise AnnotationImportError(
                f'task {tid}: malformed brush RLE ({e})', path, k,
                im.name) from None
        lab[m] = classes[names[0]]
    raw.masks[im.stem] = lab
