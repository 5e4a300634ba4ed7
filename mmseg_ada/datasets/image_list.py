"""Image-list classification datasets (``<relative path> <label>`` lines)."""
from __future__ import annotations

import os.path as osp
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.dataset import BaseDataset
from mmseg.registry import DATASETS

__all__ = ['ImageListDataset', 'ImageListEntry', 'parse_image_list']

#: How many missing images an error message lists.
MAX_LISTED = 5
_INT = re.compile(r'[+-]?[0-9]+')


class ImageListEntry(NamedTuple):
    """One line of an image list."""
    path: str
    label: int
    lineno: int


def parse_image_list(
        ann_file: str,
        num_classes: Optional[int] = None,
        path_rewrite: Optional[Sequence[str]] = None) -> List[ImageListEntry]:
    """Read an image list: one ``<path> <label>`` per line.

    The label is the **last** whitespace-separated token, so paths may
    contain spaces; blank lines are skipped; labels are 0-based integers.

    Args:
        ann_file (str): The list file.
        num_classes (int, optional): Labels must be below it.
        path_rewrite (tuple[str, str], optional): ``(old, new)``: a path
            starting with ``old`` gets that prefix replaced by ``new`` (for
            published lists with absolute placeholder paths such as
            ``/root/Art/...``); other paths are kept.

    Returns:
        list[ImageListEntry]: Path (rewritten), label and 1-based line.

    Raises:
        FileNotFoundError: If ``ann_file`` does not exist.
        ValueError: For a malformed line, a label that is not a
            non-negative integer below ``num_classes`` or an empty list; the
            message names ``<ann_file>:<line>``.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'image list not found: {ann_file}')
    old = new = None
    if path_rewrite is not None:
        if (isinstance(path_rewrite, str) or len(path_rewrite) != 2
                or not all(isinstance(p, str) for p in path_rewrite)):
            raise ValueError('path_rewrite must be a pair of strings '
                             f"('old/prefix', 'new/prefix'), got "
                             f'{path_rewrite!r}')
        old, new = path_rewrite
    entries: List[ImageListEntry] = []
    try:
        with open(ann_file, encoding='utf-8') as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError as e:
        raise ValueError(f'{ann_file}: not a UTF-8 text file ({e})') from e
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        where = f'{ann_file}:{lineno}'
        parts = line.rsplit(maxsplit=1)
        if len(parts) != 2:
            raise ValueError(
                f"{where}: malformed line {raw!r}: expected '<path> "
                "<label>' (the label is the last token)")
        path, label_str = parts[0].strip(), parts[1]
        if not _INT.fullmatch(label_str):
            raise ValueError(
                f'{where}: label {label_str!r} is not an integer (line '
                f"{raw!r}; expected '<path> <label>')")
        label = int(label_str)
        if label < 0:
            raise ValueError(f'{where}: negative label {label} (labels are '
                             '0-based class indices)')
        if num_classes is not None and label >= num_classes:
            raise ValueError(
                f'{where}: label {label} out of range for {num_classes} '
                'classes (labels are 0-based; does the list belong to '
                'another dataset or class subset?)')
        if old is not None and path.startswith(old):
            path = new + path[len(old):]
        entries.append(ImageListEntry(path, label, lineno))
    if not entries:
        raise ValueError(f'{ann_file}: the image list is empty')
    return entries


def _norm_name(name: str) -> str:
    return name.strip().lower().replace(' ', '_').replace('-', '_')


@DATASETS.register_module()
class ImageListDataset(BaseDataset):
    """Classification dataset read from an image list.

    Each line of ``ann_file`` is ``<path> <label>``: the path relative to
    ``data_root/data_prefix['img_path']`` (absolute paths are kept), the
    0-based label the last token (paths may contain spaces).  Data infos
    hold ``img_path``, ``gt_label`` (int) and ``list_line`` (the line of
    the list it came from).

    Checks at load time (every error names ``<ann_file>:<line>``):

    * malformed lines, non-integer, negative or out-of-range labels;
    * ``check_images``: every image exists (up to five missing ones are
      listed, with the count);
    * ``check_class_names``: when the image's folder is named like one of
      the classes (case, spaces and ``-``/``_`` ignored), that class must be
      the label's class.  This catches a list written for another class
      order (e.g. alphabetical Office-Home lists).
    * ``num_classes`` (if given) equals the number of class names.

    Args:
        ann_file (str): The image list, relative to ``data_root``.
        data_root (str): Dataset root.
        data_prefix (dict): ``img_path``: folder of the list's paths,
            relative to ``data_root``. Defaults to ``dict(img_path='')``.
        path_rewrite (tuple[str, str], optional): ``(old, new)`` prefix
            replacement for lists with absolute placeholder paths, e.g.
            ``('/root/', '')`` for lists written as ``/root/Art/...``.
        check_images (bool): Verify that every image exists. Defaults to
            True.
        check_class_names (bool): See above. Defaults to True.
        num_classes (int, optional): Expected number of classes; needed for
            the range check when ``metainfo`` has no ``classes``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``pipeline``, ``metainfo``, ``test_mode``, ``indices``, ...).
    """

    METAINFO: dict = dict()
    #: Appended to class-name mismatch errors (subclasses explain orders).
    CLASS_ORDER_HINT = ''

    def __init__(self,
                 ann_file: str,
                 data_root: Optional[str] = '',
                 data_prefix: Optional[dict] = None,
                 path_rewrite: Optional[Sequence[str]] = None,
                 check_images: bool = True,
                 check_class_names: bool = True,
                 num_classes: Optional[int] = None,
                 **kwargs) -> None:
        if not ann_file:
            raise ValueError(f'{type(self).__name__} needs an ann_file '
                             '(the image list)')
        self.path_rewrite = (
            tuple(path_rewrite) if path_rewrite is not None else None)
        self.check_images = bool(check_images)
        self.check_class_names = bool(check_class_names)
        self.expected_num_classes = (None if num_classes is None else
                                     int(num_classes))
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix or dict(img_path=''),
            **kwargs)

    @property
    def class_names(self) -> Optional[Tuple[str, ...]]:
        """The class names of the metainfo, or None."""
        classes = self.metainfo.get('classes')
        return None if classes is None else tuple(classes)

    @property
    def num_classes(self) -> Optional[int]:
        """Number of classes (from the class names or ``num_classes``)."""
        names = self.class_names
        return len(names) if names is not None else self.expected_num_classes

    def _check_num_classes(self) -> None:
        names = self.class_names
        if (names is not None and self.expected_num_classes is not None
                and len(names) != self.expected_num_classes):
            raise ValueError(
                f'{type(self).__name__} ({self.ann_file}): num_classes='
                f'{self.expected_num_classes} but the metainfo has '
                f'{len(names)} class names')

    def load_data_list(self) -> List[dict]:
        """Parse and check the list.

        Returns:
            list[dict]: ``img_path``, ``gt_label``, ``list_line`` per image.

        Raises:
            FileNotFoundError: Missing list or images.
            ValueError: Bad lines, labels, class names or class count.
        """
        self._check_num_classes()
        entries = parse_image_list(self.ann_file, self.num_classes,
                                   self.path_rewrite)
        prefix = self.data_prefix.get('img_path', '') or ''
        if self.check_class_names and self.class_names is not None:
            self._check_folders(entries)
        data_list = []
        missing = []
        for entry in entries:
            img_path = osp.join(prefix, entry.path)
            if self.check_images and not osp.isfile(img_path):
                missing.append(f'{self.ann_file}:{entry.lineno}: {img_path}')
            data_list.append(
                dict(
                    img_path=img_path,
                    gt_label=entry.label,
                    list_line=entry.lineno))
        if missing:
            shown = '\n  '.join(missing[:MAX_LISTED])
            more = (f'\n  ... and {len(missing) - MAX_LISTED} more'
                    if len(missing) > MAX_LISTED else '')
            raise FileNotFoundError(
                f'{len(missing)} image(s) of {self.ann_file} not found '
                f'(data_root={self.data_root!r}, data_prefix='
                f'{prefix!r}; set path_rewrite for lists with other path '
                f'prefixes):\n  {shown}{more}')
        return data_list

    def _check_folders(self, entries: Sequence[ImageListEntry]) -> None:
        names = self.class_names
        index: Dict[str, int] = {}
        for i, name in enumerate(names):
            index.setdefault(_norm_name(str(name)), i)
        for entry in entries:
            folder = osp.basename(osp.dirname(entry.path.replace('\\', '/')))
            idx = index.get(_norm_name(folder))
            if idx is not None and idx != entry.label:
                raise ValueError(
                    f'{self.ann_file}:{entry.lineno}: label {entry.label} '
                    f'is class {names[entry.label]!r} in '
                    f'{type(self).__name__}, but the image lies in folder '
                    f'{folder!r} (class {idx}); the list uses another class '
                    f'order.{self.CLASS_ORDER_HINT} (check_class_names='
                    'False turns this check off)')
