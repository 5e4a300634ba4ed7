"""Data preprocessor for classification batches with several streams."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Union

from mmengine.model import ImgDataPreprocessor
from mmseg.registry import MODELS

__all__ = ['MultiStreamClsDataPreProcessor']


@MODELS.register_module()
class MultiStreamClsDataPreProcessor(ImgDataPreprocessor):
    """Normalise and stack images of one or several streams.

    A batch is either a plain pseudo-collated batch
    (``dict(inputs=[...], data_samples=[...])``; validation, test, the
    selection pass) or a dict of such batches, one per stream::

        dict(source=<batch>, target=<batch>, unlabeled=<batch>)

    The output holds ``inputs`` / ``data_samples`` for the plain batch or
    the ``source`` stream, and ``<stream>_inputs`` /
    ``<stream>_data_samples`` for every other stream present (exactly the
    keyword arguments of
    :meth:`~mmseg_ada.models.classifiers.ADAImageClassifier.forward`).  A
    stream that is None or empty (no labelled target before the first
    query) is left out.  Each stream is converted with mmengine's
    :class:`ImgDataPreprocessor` (BGR -> RGB, ``(x - mean) / std``,
    stacking into ``[N, 3, H, W]``).

    Args:
        mean (Sequence[float], optional): Per-channel mean (after the
            channel flip). Defaults to None (no normalisation).
        std (Sequence[float], optional): Per-channel std.
        to_rgb (bool): Flip BGR (mmcv's ``LoadImageFromFile``) to RGB.
            Defaults to True.
        pad_size_divisor (int): See ``ImgDataPreprocessor``. Defaults to 1.
        pad_value (float): See ``ImgDataPreprocessor``. Defaults to 0.
        streams (Sequence[str]): Accepted stream names; the first is the
            main stream. Defaults to ``('source', 'target', 'unlabeled')``.
        non_blocking (bool): See ``ImgDataPreprocessor``.
    """

    def __init__(self,
                 mean: Optional[Sequence[Union[float, int]]] = None,
                 std: Optional[Sequence[Union[float, int]]] = None,
                 to_rgb: bool = True,
                 pad_size_divisor: int = 1,
                 pad_value: Union[float, int] = 0,
                 streams: Sequence[str] = ('source', 'target', 'unlabeled'),
                 non_blocking: Optional[bool] = False) -> None:
        super().__init__(
            mean=mean,
            std=std,
            pad_size_divisor=pad_size_divisor,
            pad_value=pad_value,
            bgr_to_rgb=to_rgb,
            non_blocking=non_blocking)
        if not streams:
            raise ValueError('streams must name at least the main stream')
        self.streams = tuple(streams)

    def _is_batch(self, data: Any) -> bool:
        return isinstance(data, dict) and 'inputs' in data

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Normalise and stack a plain batch or a dict of streams.

        Args:
            data: a plain batch (``inputs``, ``data_samples``) or
                ``{stream: batch}`` with the main stream (the first of
                ``streams``); missing or empty other streams are skipped.
            training: whether in training.

        Returns:
            dict: ``inputs``/``data_samples`` of the main stream (or the
            plain batch) and ``<name>_inputs``/``<name>_data_samples`` of
            every other stream present.

        Raises:
            TypeError: If ``data`` is not a dict.
            ValueError: For an unknown stream name, a stream that is not a
                batch, or a stream dict without the main stream.
        """
        if self._is_batch(data):
            return super().forward(data, training)
        if not isinstance(data, dict):
            raise TypeError('a batch must be a dict, got '
                            f'{type(data).__name__}')
        unknown = [k for k in data if k not in self.streams]
        if unknown:
            raise ValueError(
                f'unknown stream(s) {unknown} in the batch; expected a '
                f'plain batch (inputs, data_samples) or streams '
                f'{list(self.streams)}')
        main = self.streams[0]
        if not self._is_batch(data.get(main)) or not len(data[main]['inputs']):
            raise ValueError(f'the {main!r} stream is missing, empty or not '
                             'a batch with inputs; got keys '
                             f'{sorted(data)}')
        out: Dict[str, Any] = {}
        for name in self.streams:
            batch = data.get(name)
            if batch is None or (isinstance(batch, dict)
                                 and not len(batch.get('inputs', []))):
                continue
            if not self._is_batch(batch):
                raise ValueError(
                    f'stream {name!r} must be a batch dict with inputs, got '
                    f'{type(batch).__name__}')
            res = super().forward(batch, training)
            key = '' if name == main else f'{name}_'
            out[f'{key}inputs'] = res['inputs']
            out[f'{key}data_samples'] = res['data_samples']
        return out
