"""Write ADA-MCU's acquisition figures after the training iterations."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from mmseg_ada.utils.failures import log_failure

__all__ = ['MCUAcquisitionHook']


@HOOKS.register_module()
class MCUAcquisitionHook(Hook):
    """Draw and write the acquisition the model recorded, on rank 0.

    :class:`~mmseg_ada.models.segmentors.MCUEncoderDecoder` keeps the
    arrays of its acquisition every ``vis_interval`` iterations in
    ``acquisition_record``; after that iteration this hook writes
    ``mcu_acquisition_<iter>.png`` (:func:`mmseg_ada.visualization.
    write_acquisition_figure`; to the model's ``vis_dir``, default
    ``<the Visualizer's save dir>/mcu_acquisition``), once per record.  The
    active loop registers it for online acquisition with a model whose
    ``vis_interval > 0``.  A drawing error is logged and never stops
    training.
    """

    priority = 'LOW'

    def __init__(self) -> None:
        self._done: Optional[Dict[str, Any]] = None
        #: the latest figure written (RGB uint8), if any
        self.last_figure: Optional[np.ndarray] = None

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Any = None,
                         outputs: Any = None) -> None:
        """Write the figure of a new record of ``runner.model`` (mmengine
        :meth:`Hook.after_train_iter`).

        Args:
            runner (Runner): the runner.
            batch_idx: unused.
            data_batch: unused.
            outputs: unused.
        """
        model = runner.model
        self.write(getattr(model, 'module', model))

    def write(self, model: Any) -> Optional[np.ndarray]:
        """Write the figure of ``model.acquisition_record`` if it is new.

        Args:
            model: the (unwrapped) segmentor.

        Returns:
            The figure drawn now, or ``None``.
        """
        record = getattr(model, 'acquisition_record', None)
        if record is None or record is self._done or not is_main_process():
            return None
        self._done = record
        try:
            from mmseg_ada.visualization import mcu_acquisition
            self.last_figure = mcu_acquisition.write_acquisition_figure(record)
        except Exception as exc:  # a figure must never stop training
            log_failure(type(model).__name__, 'acquisition figure', exc)
            return None
        return self.last_figure
