"""Results over seeds: mean and standard deviation per round, with bands.

The papers report active-learning curves averaged over seeds (SAGE: 8,
LADA/SDM: 3); one seed of a few-percent protocol can move by several
points.  :func:`seed_table` aggregates the rounds of several runs of one
config (one per seed), :func:`format_seed_table` prints them and
:func:`plot_seed_curves` draws mean curves with a +-1 sd band.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np

from .active_report import (curve_figure, read_rounds, read_start,
                            save_curve_figure)

__all__ = ['seed_table', 'format_seed_table', 'plot_seed_curves']


def seed_table(work_dirs: Sequence[str]) -> List[Dict]:
    """Per round (0 = before the first round, when the runs record it):
    the labelled fraction and the scores of every seed.

    Args:
        work_dirs: the runs of one config, one per seed.

    Returns:
        list[dict]: ``round``, ``labeled_fraction`` (mean), ``scores``
        (one per run), ``mean``, ``sd`` (sample standard deviation, 0 for a
        single run), ``n``.

    Raises:
        ValueError: runs of different lengths or unit kinds, or a round
            without a score.
    """
    if not work_dirs:
        raise ValueError('no runs given')
    runs = [read_rounds(w) for w in work_dirs]
    lengths = {len(r) for r in runs}
    if len(lengths) != 1:
        raise ValueError('the runs have different numbers of rounds: ' +
                         ', '.join(f'{w}: {len(r)}'
                                   for w, r in zip(work_dirs, runs)))
    starts = [read_start(w) for w in work_dirs]
    rows: List[List[Optional[Dict]]] = []
    has_start = all(
        s is not None and s.get('score') is not None for s in starts)
    if has_start:
        rows.append(starts)
    for k in range(lengths.pop()):
        rows.append([r[k] for r in runs])
    out = []
    for n, reps in enumerate(rows):
        k = n if has_start else n + 1
        scores = []
        for w, rep in zip(work_dirs, reps):
            if rep.get('score') is None:
                raise ValueError(f'{w}: round {k} has no score (was it '
                                 'validated? see RoundMetricHook)')
            scores.append(float(rep['score']))
        s = np.asarray(scores, np.float64)
        out.append(
            dict(
                round=k,
                labeled_fraction=float(
                    np.mean([rep.get('labeled_fraction', 0.0)
                             for rep in reps])),
                scores=scores,
                mean=float(s.mean()),
                sd=float(s.std(ddof=1)) if s.size > 1 else 0.0,
                n=int(s.size),
                score_name=reps[0].get('score_name', 'score'),
                unit=reps[0].get('unit')))
    return out


def format_seed_table(tables: Dict[str, List[Dict]]) -> str:
    """One row per round: ``mean +- sd (n)`` per method.

    Args:
        tables: method label -> its rows (the rounds' ``round``,
            ``labeled_fraction``, ``mean``, ``sd``, ``n``, ``score_name``),
            as :func:`seed_table` returns them.

    Returns:
        str: the text table (round and labelled share from the first
        method with the row), with a footnote naming the score.
    """
    labels = list(tables)
    n = max((len(t) for t in tables.values()), default=0)
    head = f"{'round':>5} | {'% labelled':>10} | " + ' | '.join(
        f'{lb:>20}' for lb in labels)
    lines = [head, '-' * len(head)]
    for i in range(n):
        row = [t[i] if i < len(t) else None for t in tables.values()]
        first = next(r for r in row if r is not None)
        cells = [
            ''
            if r is None else f"{r['mean']:6.2f} +- {r['sd']:5.2f} ({r['n']})"
            for r in row
        ]
        lines.append(f"{first['round']:>5} | "
                     f"{100 * first['labeled_fraction']:>9.2f}% | " +
                     ' | '.join(f'{c:>20}' for c in cells))
    first = next((t[0] for t in tables.values() if t), {})
    lines.append(f"({first.get('score_name', 'score')}: mean +- sample sd "
                 'over seeds (number of seeds))')
    return '\n'.join(lines)


def plot_seed_curves(tables: Dict[str, List[Dict]],
                     out_path: str,
                     title: Optional[str] = None,
                     baseline: Optional[float] = None,
                     lower: Optional[float] = None) -> str:
    """Mean score vs % labelled target per method, +-1 sd shaded.

    Args:
        tables: ``{label: seed_table(...)}``.
        out_path: the image to write.
        title: figure title.
        baseline: an upper line (target only).
        lower: a lower line (source only).

    Returns:
        str: ``out_path``.
    """
    plt, fig, ax = curve_figure()
    name, unit = 'score', 'pixels'
    for label, rows in tables.items():
        if not rows:
            continue
        name = rows[0]['score_name']
        unit = 'images' if rows[-1]['unit'] == 'image' else 'pixels'
        x = np.asarray([100 * r['labeled_fraction'] for r in rows])
        m = np.asarray([r['mean'] for r in rows])
        sd = np.asarray([r['sd'] for r in rows])
        line, = ax.plot(x, m, marker='o', label=f'{label} (n={rows[0]["n"]})')
        ax.fill_between(x, m - sd, m + sd, color=line.get_color(), alpha=0.2)
    return save_curve_figure(plt, fig, ax, out_path, unit,
                             f'{name} (mean +- sd over seeds)', title,
                             baseline, lower)
