"""Image-list classification datasets (``<relative path> <label>`` lines)."""
from __future__ import annotations

import os
import os.path as osp
import re
import stat
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset
from mmseg.registry import DATASETS

__all__ = [
    'ImageListDataset', 'ImageListEntry', 'image_file_problem',
    'parse_image_list', 'read_class_names'
]

#: How many missing images an error message lists.
MAX_LISTED = 5
_INT = re.compile(r'[+-]?[0-9]+')
_BOM = '\ufeff'
#: bytes read from the end of an image for its end marker
_TAIL = 4096
_PNG_SIG = b'\x89PNG\r\n\x1a\n'
_PNG_END = b'IEND\xaeB`\x82'
#: images that passed the header check in this process: path -> (size,
#: mtime); datasets over one list are built several times per process
#: (train, pool and val loaders)
_GOOD: Dict[str, Tuple[int, int]] = {}


class ImageListEntry(NamedTuple):
    """One line of an image list (``label`` is ``None`` in a list of
    unlabelled images)."""
    path: str
    label: Optional[int]
    lineno: int


def parse_image_list(ann_file: str,
                     num_classes: Optional[int] = None,
                     path_rewrite: Optional[Sequence[str]] = None,
                     with_labels: bool = True) -> List[ImageListEntry]:
    """Read an image list: one ``<path> <label>`` per line.

    The label is the **last** whitespace-separated token, so paths may
    contain spaces; blank lines are skipped; labels are 0-based integers.
    A UTF-8 byte-order mark at the start of the file (written by some
    Windows editors) is stripped; one anywhere else is an error.  A path
    listed twice is an error naming both lines (a pool must hold each
    image once: its purchases are keyed by image).

    Args:
        ann_file (str): The list file.
        num_classes (int, optional): Labels must be below it.
        path_rewrite (tuple[str, str], optional): ``(old, new)``: a path
            starting with ``old`` gets that prefix replaced by ``new`` (for
            published lists with absolute placeholder paths such as
            ``/root/Art/...``); other paths are kept.
        with_labels (bool): ``False``: a list of unlabelled images, one
            path per line (the whole line, spaces included; labels come
            from a person, see ``HumanOracle``).

    Returns:
        list[ImageListEntry]: Path (rewritten), label (``None`` without
        labels) and 1-based line.

    Raises:
        FileNotFoundError: If ``ann_file`` does not exist.
        ValueError: For a malformed line, a label that is not a
            non-negative integer below ``num_classes``, a path listed
            twice, a byte-order mark inside the file or an empty list; the
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
    if lines and lines[0].startswith(_BOM):
        lines[0] = lines[0][len(_BOM):]  # a UTF-8 BOM: not part of the path
    first_line: Dict[str, int] = {}
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        where = f'{ann_file}:{lineno}'
        if _BOM in line:
            raise ValueError(
                f'{where}: a byte-order mark (U+FEFF) inside the list, in '
                f'line {raw!r} (only one at the very start of the file is '
                'ignored): were two lists concatenated? Remove it')
        if not with_labels:
            path, label = line, None
        else:
            path, label = _path_and_label(line, raw, where, num_classes)
        if old is not None and path.startswith(old):
            path = new + path[len(old):]
        key = osp.normpath(path)
        if key in first_line:
            raise ValueError(
                f'{where}: {path!r} is listed twice: {ann_file}:'
                f'{first_line[key]} and {where} (an image may appear once in '
                'a list); remove one of the two lines')
        first_line[key] = lineno
        entries.append(ImageListEntry(path, label, lineno))
    if not entries:
        raise ValueError(f'{ann_file}: the image list is empty')
    return entries


def _path_and_label(line: str, raw: str, where: str,
                    num_classes: Optional[int]) -> Tuple[str, int]:
    """``<path> <label>`` of a line (the label is the last token)."""
    parts = line.rsplit(maxsplit=1)
    if len(parts) != 2:
        raise ValueError(f"{where}: malformed line {raw!r}: expected '<path> "
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
    return path, label


def image_file_problem(path: str) -> Optional[str]:
    """What is wrong with an image file, found without decoding it (or
    ``None``).

    A fast check for lists of many images: the file must be non-empty and
    start like an image; a PNG must end with its ``IEND`` chunk and a JPEG
    with its end-of-image marker (within its last 4 KiB), which a
    truncated (partly copied or downloaded) file lacks.  Only a file that
    fails the end check is decoded in full (with PIL), so a JPEG with
    bytes after its end marker is still accepted.  Other formats get PIL's
    header check (``Image.open``) only.

    Args:
        path (str): The image file.

    Returns:
        str | None: e.g. ``'is truncated (a PNG without its IEND chunk)'``.
    """
    try:
        size = os.path.getsize(path)
        with open(path, 'rb') as f:
            head = f.read(len(_PNG_SIG))
            f.seek(max(0, size - _TAIL))
            tail = f.read()
    except OSError as e:
        return f'cannot be read ({e.strerror or e})'
    if size == 0:
        return 'is empty (0 bytes)'
    if head.startswith(_PNG_SIG):
        if tail.endswith(_PNG_END):
            return None
        what = 'a PNG without its IEND chunk at the end'
    elif head.startswith(b'\xff\xd8'):
        if b'\xff\xd9' in tail:
            return None
        what = 'a JPEG without its end-of-image marker'
    else:
        what = None
    from PIL import Image
    try:
        with Image.open(path) as img:
            if what is None:
                return None
            img.load()  # only files that failed the end check
    except Exception as e:  # PIL raises many types for bad files
        return (f'is truncated ({what}; {e})'
                if what else f'is not an image PIL can read ({e})')
    return None


def read_class_names(name: str) -> Tuple[str, ...]:
    """The class names in ``mmseg_ada/datasets/class_names/<name>``.

    Args:
        name: the file name in ``class_names/``.

    Returns:
        tuple[str]: one name per non-empty line, stripped (a label is its
        line's index).
    """
    path = osp.join(osp.dirname(osp.abspath(__file__)), 'class_names', name)
    with open(path, encoding='utf-8') as f:
        return tuple(line.strip() for line in f if line.strip())


def _listed(items: List[str]) -> str:
    """The first :data:`MAX_LISTED` of ``items``, one a line, and how many
    more there are."""
    shown = '\n  '.join(items[:MAX_LISTED])
    more = (f'\n  ... and {len(items) - MAX_LISTED} more'
            if len(items) > MAX_LISTED else '')
    return shown + more


def _norm_name(name: str) -> str:
    return name.strip().lower().replace(' ', '_').replace('-', '_')


@DATASETS.register_module()
class ImageListDataset(BaseDataset):
    """Classification dataset read from an image list.

    Each line of ``ann_file`` is ``<path> <label>``: the path relative to
    ``data_root/data_prefix['img_path']`` (absolute paths are kept), the
    0-based label the last token (paths may contain spaces).  Data infos
    hold ``img_path``, ``gt_label`` (int) and ``list_line`` (the line of
    the list it came from).  A list of unlabelled images (a new target
    domain that people label, ``with_labels=False``) holds one path per
    line and gives no ``gt_label``.

    Checks at load time (every error names ``<ann_file>:<line>``):

    * malformed lines, non-integer, negative or out-of-range labels;
    * ``check_images``: every image exists and is not truncated or
      unreadable (a header check without decoding,
      :func:`image_file_problem`: about 25 us per image on a local disk
      with a warm page cache, against 0.9 ms to decode a 500x375 JPEG;
      up to five bad ones are listed, with the count);
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
        check_images (bool | str): ``True``: verify that every image
            exists and passes the header check (truncated, empty or
            non-image files are named with ``<ann_file>:<line>``; an image
            that passed is not read again in the same process until it
            changes); ``'exists'``: existence only (one
            ``stat`` per image, for very large lists on slow storage);
            ``False``: no check (a bad image then fails when it is
            loaded). Defaults to True.
        check_class_names (bool): See above. Defaults to True.
        num_classes (int, optional): Expected number of classes; needed for
            the range check when ``metainfo`` has no ``classes``.
        with_labels (bool): ``False``: one path per line, no labels (the
            target images of a run whose oracle is a person). Defaults to
            True.
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
                 with_labels: bool = True,
                 **kwargs) -> None:
        if not ann_file:
            raise ValueError(f'{type(self).__name__} needs an ann_file '
                             '(the image list)')
        self.path_rewrite = (
            tuple(path_rewrite) if path_rewrite is not None else None)
        if check_images not in (True, False, 'exists'):
            raise ValueError("check_images must be True, 'exists' or False, "
                             f'got {check_images!r}')
        self.check_images: Union[bool, str] = check_images
        self.check_class_names = bool(check_class_names)
        self.with_labels = bool(with_labels)
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
                                   self.path_rewrite, self.with_labels)
        prefix = self.data_prefix.get('img_path', '') or ''
        if (self.with_labels and self.check_class_names
                and self.class_names is not None):
            self._check_folders(entries)
        data_list = []
        missing = []
        bad = []
        for entry in entries:
            img_path = osp.join(prefix, entry.path)
            if self.check_images:
                problem = self._image_problem(img_path)
                where = f'{self.ann_file}:{entry.lineno}: {img_path}'
                if problem == 'missing':
                    missing.append(where)
                elif problem is not None:
                    bad.append(f'{where} {problem}')
            info = dict(img_path=img_path, list_line=entry.lineno)
            if entry.label is not None:
                info['gt_label'] = entry.label
            data_list.append(info)
        if bad and not missing:
            raise ValueError(
                f'{len(bad)} image(s) of {self.ann_file} cannot be used:\n  '
                f'{_listed(bad)}\nReplace or remove them (check_images='
                "'exists' checks existence only, False nothing)")
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} image(s) of {self.ann_file} not found '
                f'(data_root={self.data_root!r}, data_prefix='
                f'{prefix!r}; set path_rewrite for lists with other path '
                f'prefixes):\n  {_listed(missing)}')
        return data_list

    def _image_problem(self, img_path: str) -> Optional[str]:
        """``'missing'``, what :func:`image_file_problem` finds (with
        ``check_images=True``) or ``None``."""
        try:
            st = os.stat(img_path)
        except OSError:
            return 'missing'
        if not stat.S_ISREG(st.st_mode):
            return 'missing'
        if self.check_images is not True:
            return None
        sig = (st.st_size, st.st_mtime_ns)
        if _GOOD.get(img_path) == sig:
            return None
        problem = image_file_problem(img_path)
        if problem is None:
            _GOOD[img_path] = sig
        return problem

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
