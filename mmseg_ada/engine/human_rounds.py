"""Rounds answered by a person: export, then stop or wait for the labels.

With ``oracle=dict(type='HumanOracle')`` the active loop, at each round
boundary, selects and commits as usual (the budget is spent when the units
are bought; the request is written before the commit), then
:class:`HumanRounds`:

1. writes the round's exports (``active/annotate/round_<k>/<format>/``);
2. pins the round's newest imported answers if there are some
   (:func:`~mmseg_ada.annotation.answers.pin_answers`) and lets training go
   on;
3. otherwise stops every rank with :class:`AwaitingLabels` (exit status
   :data:`EXIT_AWAITING_LABELS`, 75) and a message naming the folder, the
   import command and the ``--resume`` command - or, with
   ``wait=dict(poll_seconds=...)``, polls the round's inbox until an import
   arrives (every rank takes part in each poll, so no collective operation
   waits longer than ``poll_seconds``).

A resumed run reuses the committed round (nothing is selected or spent
again) and goes through the same steps.
"""
from __future__ import annotations

import os
import os.path as osp
import sys
import time
from typing import Any, List, Optional

from mmengine.dist import (broadcast_object_list, get_world_size,
                           is_main_process)
from mmengine.logging import print_log

from mmseg_ada.active.oracles.layout import round_dir
from mmseg_ada.annotation.answers import pin_answers
from mmseg_ada.annotation.rounds import export_round, exported_formats

__all__ = [
    'AwaitingLabels', 'EXIT_AWAITING_LABELS', 'HumanRounds', 'awaiting_status'
]

#: exit status of a run that stopped for a person's labels (sysexits.h's
#: EX_TEMPFAIL: "try again later"), distinct from success and from failure
EXIT_AWAITING_LABELS = 75


class AwaitingLabels(SystemExit):
    """The run stopped cleanly until a round's labels are imported.

    Args:
        message: what to do next (folder, import and resume commands).
        round: the round waiting for labels.
    """

    def __init__(self, message: str, round: int) -> None:
        super().__init__(EXIT_AWAITING_LABELS)
        self.message = message
        self.round = int(round)

    def __str__(self) -> str:
        return self.message


def _train_command(runner: Any) -> str:
    cfg = getattr(runner.cfg, 'filename', None) or 'CONFIG'
    if get_world_size() > 1:
        return (f'bash tools/dist_train.sh {cfg} {get_world_size()} '
                f'--work-dir {runner.work_dir} --resume')
    return f'python tools/train.py {cfg} --work-dir {runner.work_dir} --resume'


class HumanRounds:
    """The steps a round answered by a person adds to the active loop.

    Args:
        runner: the runner (work dir, logger, config file).
        oracle: the :class:`~mmseg_ada.active.oracles.HumanOracle`.
        store: the run's label store (writer on rank 0).
    """

    def __init__(self, runner: Any, oracle: Any, store: Any) -> None:
        self.runner = runner
        self.oracle = oracle
        self.store = store
        self.work_dir = runner.work_dir
        self.formats = oracle.export_formats(store.kind)

    def check_trained(self, reached: int) -> None:
        """Rounds ``1..reached`` (trained on before a resume) must have
        pinned answers.

        Args:
            reached: the rounds the checkpoint has trained with.

        Raises:
            RuntimeError: naming the rounds without pinned answers.
        """
        missing = [
            k for k in range(1, reached + 1) if self.store.answers(k) is None
        ]
        if missing:
            raise RuntimeError(
                f'the checkpoint has trained with rounds 1..{reached}, but '
                f'rounds {missing} of the label store {self.store.root} have '
                'no pinned answers: the store does not belong to this run '
                '(or was edited)')

    def export(self, k: int) -> List[str]:
        """Write round ``k``'s missing exports (rank 0).

        Args:
            k: 1-based round.

        Returns:
            list[str]: the files written (empty if every configured format
            was exported already).
        """
        done = exported_formats(self.work_dir, k)
        files: List[str] = []
        for fmt in self.formats:
            if fmt in done:
                continue
            opts = {}
            if fmt == 'labelstudio':
                opts = dict(
                    url_prefix=self.oracle.url_prefix,
                    document_root=self.oracle.document_root)
            files += export_round(
                self.work_dir,
                k,
                fmt,
                predictions=self.oracle.predictions,
                **opts)
        return files

    def _step(self, k: int, iteration: int, deadline: Optional[float]) -> str:
        """One check, decided on rank 0 and shared with every rank:
        export what is missing, pin an import if there is one.

        Returns:
            str: ``'ok'`` (pinned), ``'wait'`` (nothing imported yet) or
            ``'timeout'`` (nothing imported by ``deadline``, rank 0's
            clock).
        """
        obj: List[Any] = [None]
        if is_main_process():
            try:
                files = self.export(k)
                if files:
                    print_log(
                        f'active round {k}: exported {len(files)} files to '
                        f'{round_dir(self.work_dir, k)}',
                        logger='current')
                if pin_answers(self.store, k, iteration) is not None:
                    obj[0] = ('ok', None)
                elif deadline is not None and time.monotonic() >= deadline:
                    obj[0] = ('timeout', None)
                else:
                    obj[0] = ('wait', None)
            except Exception as e:  # every rank must leave the same way
                obj[0] = ('error', f'{type(e).__name__}: {e}')
        if get_world_size() > 1:
            broadcast_object_list(obj, src=0)
        status, value = obj[0]
        if status == 'error':
            raise RuntimeError(f'active round {k}: could not export the round '
                               f'or take its labels into training: {value}')
        self.store.refresh(force=True)
        return status

    def message(self, k: int) -> str:
        """What to do next, for round ``k``.

        Args:
            k: 1-based round.

        Returns:
            str: the steps (label, import, continue), one a line.
        """
        folder = round_dir(self.work_dir, k)
        kinds = '|'.join(self.formats)
        plain = ('edit png/labels/*.png'
                 if self.store.kind == 'mask' else 'edit list/labels.txt')
        lines = [
            f'active round {k}: the picks are ready for labelling in '
            f'{folder}/ ({", ".join(f + "/" for f in self.formats)})',
            '  1. label them (Label Studio: the steps in '
            'labelstudio/README.txt; CVAT: a task from cvat/images.txt with '
            'the labels of cvat/labels.json, then upload '
            f'cvat/annotations.xml; or {plain})',
            f'  2. import the labels: python tools/annotate.py import '
            f'{self.work_dir} --round {k} PATH --format {{{kinds}}}',
            f'  3. continue: {_train_command(self.runner)}',
            f'  (python tools/annotate.py status {self.work_dir} shows '
            'every round)',
        ]
        return '\n'.join(lines)

    def ensure(self, k: int, iteration: int) -> None:
        """Return once round ``k``'s answers are pinned (every rank).

        Exports what is missing and pins an import if there is one; with
        the oracle's ``wait``, polls every ``poll_seconds`` until an import
        arrives or ``timeout`` passes.

        Args:
            k: 1-based round.
            iteration: the training iteration (recorded with the pin).

        Raises:
            AwaitingLabels: no answers were imported (and ``wait`` is off
                or timed out): every rank raises it.
        """
        wait = self.oracle.wait
        if self._step(k, iteration, None) == 'ok':
            self._log_pinned(k)
            return
        if wait is not None:
            poll = float(wait['poll_seconds'])
            timeout = wait.get('timeout')
            start = time.monotonic()
            deadline = None if timeout is None else start + float(timeout)
            print_log(
                self.message(k).replace(
                    '  3. continue: ', '  3. (waiting; '
                    'or stop and continue: ') +
                f'\nwaiting for the import (polling every {poll:g} s)',
                logger='current')
            last_log = start
            while True:
                time.sleep(poll)
                status = self._step(k, iteration, deadline)
                if status == 'ok':
                    self._log_pinned(k)
                    return
                if status == 'timeout':
                    break
                if time.monotonic() - last_log > max(600, poll):
                    last_log = time.monotonic()
                    print_log(
                        f'active round {k}: still waiting for its labels '
                        f'({(last_log - start) / 60:.0f} min)',
                        logger='current')
        msg = self.message(k)
        print_log(msg, logger='current')
        raise AwaitingLabels(msg, k)

    def _log_pinned(self, k: int) -> None:
        rec = self.store.answers(k) or {}
        print_log(
            f'active round {k}: training on the imported labels (version '
            f'{rec.get("version")}: {rec.get("answered")} answered, of which '
            f'{rec.get("unchanged")} kept the model\'s suggestion; '
            f'{rec.get("unanswered")} left unlabelled; {rec.get("dropped")} '
            f'outside the asked units dropped; from '
            f'{osp.basename(str((rec.get("source") or {}).get("path")))})',
            logger='current')


def awaiting_status(e: AwaitingLabels) -> int:
    """Say that round ``e.round`` waits for labels; the exit status.

    ``tools/train.py`` ends the process with it.  Under
    ``tools/dist_train.sh`` (``MMSEG_ADA_EXIT_STATUS_FILE`` set) every rank
    exits 0 so that torchrun does not report a failure, and each node's
    local rank 0 leaves :data:`EXIT_AWAITING_LABELS` in that file for the
    script to exit with.

    Args:
        e: the exception (its ``round`` is printed).

    Returns:
        int: :data:`EXIT_AWAITING_LABELS`, or 0 under
        ``tools/dist_train.sh``.
    """
    status_file = os.environ.get('MMSEG_ADA_EXIT_STATUS_FILE')
    print(
        f'active round {e.round}: waiting for labels (exit status '
        f'{EXIT_AWAITING_LABELS}; the steps are in the log above)',
        file=sys.stderr,
        flush=True)
    if status_file:
        if os.environ.get('LOCAL_RANK', '0') == '0':
            with open(status_file, 'w') as f:
                f.write(str(EXIT_AWAITING_LABELS))
        return 0
    return EXIT_AWAITING_LABELS
