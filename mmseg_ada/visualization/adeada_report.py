"""The per-round ADeADA figure: where the round's budget went and why.

:func:`draw_adeada_round` turns the ``info`` of an
:class:`~mmseg_ada.active.strategies.ADeADA` selection (stored as
``selection_info`` in ``active/round_<k>.json``) into one PNG with four
panels:

1. the per-class KL estimate of Eq. 5 (mean ``pi`` of the class's regions);
2. the per-class density budget ``B_d,c`` of Eq. 6, in pixels;
3. the round's split of Eq. 7: density and uncertainty budgets next to what
   each share spent (the uncertainty share also spends what the density
   share could not);
4. the regions bought per predicted class, stacked: density share below,
   uncertainty share above.

The active selector draws it (ADeADA's ``figure = 'adeada'``, through
:func:`draw_adeada_figure`) into ``active/vis/round_<k>/ADeADA.png``.
Missing entries (``None``, NaN, a short or absent list, no class names) are
drawn as gaps and never raise, so a report image cannot stop a run.
"""
from __future__ import annotations

import math
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .strategy_figures import register_strategy_figure

__all__ = ['draw_adeada_round', 'draw_adeada_figure']


def _to_float(value: Any) -> float:
    """``value`` as a float; NaN for None, strings and other junk."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _per_class(values: Any, n: int) -> np.ndarray:
    """A ``float [n]`` array from a per-class list (NaN where missing)."""
    out = np.full(n, np.nan)
    if values is None:
        return out
    try:
        seq = list(values)
    except TypeError:
        return out
    for i, v in enumerate(seq[:n]):
        out[i] = _to_float(v)
    return out


def _num_classes(info: Dict[str, Any], classes: Sequence[str]) -> int:
    n = len(classes)
    for key in ('per_class_kl', 'per_class_density_budget',
                'regions_per_class_density', 'regions_per_class_uncertainty'):
        try:
            n = max(n, len(info.get(key) or ()))
        except TypeError:
            pass
    return n


def _class_names(classes: Sequence[str], n: int) -> List[str]:
    names = [str(c) for c in list(classes)[:n]]
    return names + [str(i) for i in range(len(names), n)]


def _pixels(x: float, _pos: Any = None) -> str:
    """Compact pixel count: 950, 12.5k, 3.1M."""
    if not math.isfinite(x):
        return ''
    a = abs(x)
    for div, unit in ((1e9, 'G'), (1e6, 'M'), (1e3, 'k')):
        if a >= div:
            return f'{x / div:.3g}{unit}'
    return f'{x:.0f}'


def _no_data(ax, text: str = 'no data') -> None:
    ax.text(
        0.5,
        0.5,
        text,
        ha='center',
        va='center',
        color='grey',
        transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _class_panel(ax, title: str, names: List[str]) -> bool:
    """Title a per-class panel; ``False`` (and 'no data') without classes."""
    ax.set_title(title, fontsize=10)
    if not names:
        _no_data(ax)
    return bool(names)


def _class_axis(ax, names: List[str], labels: bool = True) -> None:
    ax.set_xticks(np.arange(len(names)))
    if labels:
        ax.set_xticklabels(names, rotation=45, ha='right', fontsize=8)
    else:
        ax.tick_params(axis='x', labelbottom=False)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.grid(True, axis='y', alpha=0.3)


def _draw_kl(ax, kl: np.ndarray, names: List[str]) -> None:
    if not _class_panel(ax, 'per-class KL estimate (Eq. 5: mean log p_T/p_S)',
                        names):
        return
    x = np.arange(len(names))
    ok = np.isfinite(kl)
    colours = np.where(kl[ok] >= 0, '#c0504d', '#4f81bd')
    ax.bar(x[ok], kl[ok], color=colours, width=0.8)
    ax.axhline(0.0, color='black', linewidth=0.8)
    for xi in x[~ok]:
        ax.text(
            xi,
            0.0,
            'n/a',
            ha='center',
            va='bottom',
            fontsize=7,
            color='grey',
            rotation=90)
    _class_axis(ax, names, labels=False)
    ax.set_ylabel('KL (nats)')
    if not ok.any():
        ax.set_ylim(-1.0, 1.0)
        ax.set_yticks([0.0])


def _all_zero(ax, message: str) -> None:
    """A bar chart whose bars are all zero: a flat axis and a message."""
    ax.set_ylim(0.0, 1.0)
    ax.set_yticks([0.0])
    ax.text(
        0.5,
        0.5,
        message,
        ha='center',
        va='center',
        color='grey',
        transform=ax.transAxes)


def _draw_class_budget(ax, budget: np.ndarray, names: List[str]) -> None:
    if not _class_panel(ax, 'per-class density budget B_d,c (Eq. 6)', names):
        return
    from matplotlib.ticker import FuncFormatter
    x = np.arange(len(names))
    vals = np.nan_to_num(budget, nan=0.0)
    ax.bar(x, vals, color='#9bbb59', width=0.8)
    total = float(vals.sum())
    if total > 0:
        for xi, v in zip(x, vals):
            if v > 0:
                ax.text(
                    xi,
                    v,
                    f'{100 * v / total:.0f}%',
                    ha='center',
                    va='bottom',
                    fontsize=6)
    ax.yaxis.set_major_formatter(FuncFormatter(_pixels))
    _class_axis(ax, names, labels=False)
    ax.set_ylabel('pixels')
    if total <= 0:
        _all_zero(ax, 'no density budget this round')


def _draw_split(ax, info: Dict[str, Any]) -> None:
    from matplotlib.ticker import FuncFormatter
    frac = _to_float(info.get('density_fraction'))
    title = 'round budget split (Eq. 7)'
    if math.isfinite(frac):
        title += f'\ndensity share {100 * frac:.1f}%'
    ax.set_title(title, fontsize=10)
    budgets = [
        _to_float(info.get('density_budget')),
        _to_float(info.get('uncertainty_budget'))
    ]
    spent = [
        _to_float(info.get('density_spent')),
        _to_float(info.get('uncertainty_spent'))
    ]
    if not any(math.isfinite(v) for v in budgets + spent):
        _no_data(ax)
        return
    x = np.arange(2)
    width = 0.38
    b = np.nan_to_num(np.asarray(budgets), nan=0.0)
    s = np.nan_to_num(np.asarray(spent), nan=0.0)
    ax.bar(x - width / 2, b, width, label='budget', color='#bfbfbf')
    ax.bar(
        x[:1] + width / 2,
        s[:1],
        width,
        label='spent (density)',
        color='#9bbb59')
    ax.bar(
        x[1:] + width / 2,
        s[1:],
        width,
        label='spent (uncertainty)',
        color='#f79646')
    top = max(float(b.max()), float(s.max()), 1.0)
    for xi, vb, vs in zip(x, budgets, spent):
        for dx, v in ((-width / 2, vb), (width / 2, vs)):
            label = _pixels(v) if math.isfinite(v) else 'n/a'
            ax.text(
                xi + dx,
                0.0 if not math.isfinite(v) else v,
                label,
                ha='center',
                va='bottom',
                fontsize=8)
    ax.set_ylim(0, top * 1.18)
    ax.set_xticks(x)
    ax.set_xticklabels(['density', 'uncertainty'])
    ax.yaxis.set_major_formatter(FuncFormatter(_pixels))
    ax.set_ylabel('pixels')
    ax.grid(True, axis='y', alpha=0.3)
    ax.legend(fontsize=8, loc='upper right')


def _draw_regions(ax, dens: np.ndarray, unc: np.ndarray,
                  names: List[str]) -> None:
    if not _class_panel(ax, 'regions bought per predicted class', names):
        return
    x = np.arange(len(names))
    d = np.nan_to_num(dens, nan=0.0)
    u = np.nan_to_num(unc, nan=0.0)
    ax.bar(x, d, width=0.8, color='#9bbb59', label=f'density ({int(d.sum())})')
    ax.bar(
        x,
        u,
        width=0.8,
        bottom=d,
        color='#f79646',
        label=f'uncertainty ({int(u.sum())})')
    _class_axis(ax, names)
    ax.set_ylabel('regions')
    ax.legend(fontsize=8, loc='upper left', ncol=2)
    top = float((d + u).max()) if len(names) else 0.0
    if top > 0:
        ax.set_ylim(0.0, top * 1.3)  # room for the legend
    if d.sum() + u.sum() <= 0:
        _all_zero(ax, 'no region bought')


def _draw_summary(ax, info: Dict[str, Any], kl: np.ndarray,
                  names: List[str]) -> None:
    """A few numbers in words: shares, totals, most and least shifted."""
    ax.axis('off')
    lines = []
    b_d = _to_float(info.get('density_budget'))
    b_u = _to_float(info.get('uncertainty_budget'))
    s_d = _to_float(info.get('density_spent'))
    s_u = _to_float(info.get('uncertainty_spent'))
    if math.isfinite(b_d) and math.isfinite(b_u):
        lines.append(f'budget B^k   {_pixels(b_d + b_u)} px')
        lines.append(f'  B_d {_pixels(b_d)}, B_u {_pixels(b_u)}')
    if math.isfinite(s_d) and math.isfinite(s_u):
        lines.append(f'spent        {_pixels(s_d + s_u)} px')
        lines.append(f'  density {_pixels(s_d)}, unc. {_pixels(s_u)}')
    ok = np.flatnonzero(np.isfinite(kl))
    if ok.size:
        hi = ok[np.argmax(kl[ok])]
        lo = ok[np.argmin(kl[ok])]
        lines.append(f'max KL  {kl[hi]:.3g} ({names[hi]})')
        lines.append(f'min KL  {kl[lo]:.3g} ({names[lo]})')
        lines.append(f'KL estimated for {ok.size}/{len(names)} classes')
    if not lines:
        lines.append('no selection numbers')
    ax.text(
        0.0,
        1.0,
        '\n'.join(lines),
        ha='left',
        va='top',
        fontsize=9,
        family='monospace',
        transform=ax.transAxes)


def _title(info: Dict[str, Any]) -> str:
    parts = ['ADeADA']
    k = info.get('round')
    if k is not None:
        parts.append(f'round {k}')
    extras = []
    if info.get('policy') is not None:
        extras.append(f"policy {info['policy']}")
    for key in ('alpha', 'beta'):
        v = _to_float(info.get(key))
        if math.isfinite(v):
            extras.append(f'{key} {v:g}')
    total = _to_float(info.get('spent'))
    if math.isfinite(total):
        extras.append(f'{_pixels(total)} pixels bought')
    secs = _to_float(info.get('density_fit_seconds'))
    if math.isfinite(secs) and secs > 0:
        extras.append(f'density fits {secs:.1f} s')
    title = ' '.join(parts)
    return title + (' - ' + ', '.join(extras) if extras else '')


def draw_adeada_round(info: Dict[str, Any], classes: Optional[Sequence[str]],
                      out_path: str) -> str:
    """Draw one ADeADA selection round into a PNG.

    Args:
        info: the ``Selection.info`` of :class:`ADeADA`
            (``per_class_kl``, ``per_class_density_budget``,
            ``density_budget``, ``uncertainty_budget``, ``density_spent``,
            ``uncertainty_spent``, ``regions_per_class_density``,
            ``regions_per_class_uncertainty``; optionally ``round``,
            ``policy``, ``alpha``, ``beta``, ``density_fraction``,
            ``spent``, ``density_fit_seconds``).  Missing keys and
            ``None``/NaN entries are drawn as gaps.
        classes: class names, in the order of the per-class lists; missing
            names are replaced by indices.
        out_path: the image to write (folders are created; written to a
            temporary file and moved into place).

    Returns:
        str: ``out_path``.

    Raises:
        ValueError: If ``info`` is not a mapping.
    """
    if not isinstance(info, dict):
        raise ValueError('draw_adeada_round: info must be a dict (the '
                         f'selection info), got {type(info).__name__}')
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    classes = list(classes or [])
    n = _num_classes(info, classes)
    names = _class_names(classes, n)
    kl = _per_class(info.get('per_class_kl'), n)
    budget = _per_class(info.get('per_class_density_budget'), n)
    dens = _per_class(info.get('regions_per_class_density'), n)
    unc = _per_class(info.get('regions_per_class_uncertainty'), n)

    fig = plt.figure(figsize=(14, 9.5), dpi=100)
    try:
        grid = fig.add_gridspec(3, 4)
        ax_kl = fig.add_subplot(grid[0, :3])
        ax_budget = fig.add_subplot(grid[1, :3], sharex=ax_kl)
        ax_regions = fig.add_subplot(grid[2, :3], sharex=ax_kl)
        ax_split = fig.add_subplot(grid[:2, 3])
        ax_text = fig.add_subplot(grid[2, 3])
        _draw_kl(ax_kl, kl, names)
        _draw_class_budget(ax_budget, budget, names)
        _draw_regions(ax_regions, dens, unc, names)
        _draw_split(ax_split, info)
        _draw_summary(ax_text, info, kl, names)
        fig.suptitle(_title(info), fontsize=12)
        fig.tight_layout(rect=(0, 0, 1, 0.96))
        out_dir = osp.dirname(osp.abspath(out_path))
        os.makedirs(out_dir, exist_ok=True)
        ext = osp.splitext(out_path)[1].lstrip('.').lower() or 'png'
        tmp = osp.join(out_dir, f'.{osp.basename(out_path)}.tmp')
        fig.savefig(tmp, format=ext)
        os.replace(tmp, out_path)
    finally:
        plt.close(fig)
    return out_path


@register_strategy_figure('adeada')
def draw_adeada_figure(strategy: Any,
                       selection: Any,
                       pool: Any,
                       out_file: str,
                       class_names: Optional[Sequence[str]] = None) -> None:
    """The round figure of ADeADA (``figure = 'adeada'``).

    :func:`draw_adeada_round` of the selection's ``info`` (per-class KL,
    budgets, split, picks).

    Args:
        strategy: the strategy (unused).
        selection: what its ``select`` returned.
        pool: the pool it selected from (unused).
        out_file: PNG to write.
        class_names: names of the classes.
    """
    draw_adeada_round(selection.info, class_names, out_file)
