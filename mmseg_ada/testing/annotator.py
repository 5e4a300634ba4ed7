"""A scripted stand-in for a person who labels a round (tests, demos).

:class:`ScriptedAnnotator` answers a round's request with labels it knows
(the target dataset's ground truth, through a bound
:class:`~mmseg_ada.active.oracles.GroundTruthOracle`), **inside the asked
units only**, in any of the formats an annotation tool would give back:
the results a person submits in Label Studio (brush RLE per class), a
Label Studio JSON export, a CVAT for images 1.1 XML, an edited png export
or an edited image list.
"""
from __future__ import annotations

import json
import os.path as osp
import shutil
import xml.etree.ElementTree as ET
from typing import Any, Dict, List

import cv2
import numpy as np

from mmseg_ada.annotation.formats._common import write_json, write_text
from mmseg_ada.annotation.formats.cvat import mask_element
from mmseg_ada.annotation.request import (IGNORE, AnnotationRequest,
                                          RequestedImage)
from mmseg_ada.annotation.rle import ls_rle_encode

__all__ = ['ScriptedAnnotator']


class ScriptedAnnotator:
    """Answers a round with known labels, inside the asked units.

    Args:
        oracle: a :class:`~mmseg_ada.active.oracles.GroundTruthOracle`
            bound to the target dataset (request indices are its indices).
        skip (int): leave every ``skip``-th image unanswered (0: none).
    """

    def __init__(self, oracle: Any, skip: int = 0) -> None:
        self.oracle = oracle
        self.skip = int(skip)

    def _skipped(self, n: int) -> bool:
        return self.skip > 0 and n % self.skip == self.skip - 1

    def label_map(self, request: AnnotationRequest,
                  im: RequestedImage) -> np.ndarray:
        """The truth on the asked pixels, 255 elsewhere.

        Args:
            request: the round's request.
            im: the requested image.

        Returns:
            np.ndarray: ``uint8 [H, W]``.
        """
        gt = self.oracle.ground_truth(im.index)
        return np.where(request.asked(im.stem), gt, IGNORE).astype(np.uint8)

    def image_label(self, im: RequestedImage) -> int:
        """The class of an asked image.

        Args:
            im: the requested image.

        Returns:
            int: the oracle's ``image_label``.
        """
        return int(self.oracle.image_label(im.index))

    # ----------------------------------------------------- Label Studio
    def labelstudio_result(self, request: AnnotationRequest,
                           im: RequestedImage) -> List[Dict[str, Any]]:
        """What a person submits for one task: a brush per class painted
        (segmentation) or the chosen class (classification).

        Args:
            request: the round's request.
            im: the requested image.

        Returns:
            list[dict]: Label Studio result entries.
        """
        if request.kind == 'image':
            return [
                dict(
                    id=f'a{im.index}',
                    type='choices',
                    from_name='label',
                    to_name='image',
                    origin='manual',
                    value=dict(
                        choices=[request.classes[self.image_label(im)]]))
            ]
        lab = self.label_map(request, im)
        out = []
        for c in np.unique(lab[lab != IGNORE]):
            out.append(
                dict(
                    id=f'a{im.index}c{int(c)}',
                    type='brushlabels',
                    from_name='label',
                    to_name='image',
                    origin='manual',
                    original_width=im.width,
                    original_height=im.height,
                    image_rotation=0,
                    value=dict(
                        format='rle',
                        rle=ls_rle_encode(lab == c),
                        brushlabels=[request.classes[int(c)]])))
        return out

    def labelstudio_export(self, request: AnnotationRequest, tasks_path: str,
                           out_path: str) -> str:
        """A Label Studio JSON export of the exported ``tasks.json`` after
        the person labelled every task (offline: no server).

        Args:
            request: the round's request.
            tasks_path: the exported ``tasks.json``.
            out_path: the export file to write.

        Returns:
            str: ``out_path``.
        """
        with open(tasks_path, encoding='utf-8') as f:
            tasks = json.load(f)
        out = []
        for n, t in enumerate(tasks, start=1):
            im = request.by_index(t['data']['ada_index'])
            anns = [] if self._skipped(n - 1) else [
                dict(
                    id=n,
                    result=self.labelstudio_result(request, im),
                    was_cancelled=False,
                    ground_truth=False,
                    created_at='2026-12-07T10:00:00.000000Z',
                    updated_at='2026-12-07T10:00:00.000000Z',
                    lead_time=3.0)
            ]
            out.append(dict(id=n, data=t['data'], annotations=anns))
        return write_json(out_path, out)

    # ------------------------------------------------------------ CVAT
    def cvat_xml(self, request: AnnotationRequest, exported: str,
                 out_path: str) -> str:
        """The exported ``annotations.xml`` with the person's shapes: a
        mask per class painted, or a tag.

        Args:
            request: the round's request.
            exported: the exported ``annotations.xml``.
            out_path: the file to write.

        Returns:
            str: ``out_path``.
        """
        tree = ET.parse(exported)
        root = tree.getroot()
        for n, node in enumerate(root.iter('image')):
            for shape in list(node):
                node.remove(shape)
            if self._skipped(n):
                continue
            im = request.by_name(node.attrib['name'])
            if request.kind == 'image':
                ET.SubElement(
                    node,
                    'tag',
                    label=request.classes[self.image_label(im)],
                    source='manual')
                continue
            lab = self.label_map(request, im)
            for c in np.unique(lab[lab != IGNORE]):
                mask_element(node, request.classes[int(c)], lab == c, 'manual')
        tree.write(out_path, encoding='utf-8', xml_declaration=True)
        return out_path

    # ------------------------------------------------------- png / list
    def edit_png(self, request: AnnotationRequest, exported: str,
                 out_dir: str) -> str:
        """A copy of the png export with the label files edited.

        Args:
            request: the round's request.
            exported: the png export folder.
            out_dir: the copy to write (must not exist).

        Returns:
            str: ``out_dir``.
        """
        shutil.copytree(exported, out_dir)
        with open(osp.join(out_dir, 'index.json'), encoding='utf-8') as f:
            index = json.load(f)
        for n, e in enumerate(index['images']):
            im = request.by_index(e['index'])
            lab = (
                np.full((im.height, im.width), IGNORE, np.uint8)
                if self._skipped(n) else self.label_map(request, im))
            cv2.imwrite(osp.join(out_dir, e['labels']), lab)
        return out_dir

    def edit_list(self, request: AnnotationRequest, out_path: str) -> str:
        """An image list with the person's classes (-1: skipped).

        Args:
            request: the round's request.
            out_path: the list to write.

        Returns:
            str: ``out_path``.
        """
        lines = []
        for n, im in enumerate(request.images):
            label = -1 if self._skipped(n) else self.image_label(im)
            lines.append(f'{im.name} {label}\n')
        return write_text(out_path, ''.join(lines))
