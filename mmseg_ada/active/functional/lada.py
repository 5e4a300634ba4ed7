"""LADA's class-balanced acceptance of confident proposals (Sun et al.,
ICCV 2023, Alg. 2 and Eq. 4).

Pure numpy: :func:`rejection_probabilities` (Eq. 4) and
:func:`accept_proposals` (Alg. 2, lines 3-7).  The anchor set that grows
with the accepted proposals is :class:`~mmseg_ada.datasets.AnchorSet`.
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np

__all__ = ['rejection_probabilities', 'accept_proposals']


def rejection_probabilities(counts: Sequence[float],
                            add_one: bool = False) -> np.ndarray:
    """Class-balancing rejection probabilities (LADA Eq. 4).

    ``q_A[c] = (p_A[c] - p_A^min) / p_A^max`` with ``p_A[c]`` the share of
    class ``c`` in the anchor set, over all ``C`` classes (a class absent
    from ``A`` makes ``p_A^min = 0``); ``|A|`` cancels, so counts suffice.
    A confident proposal with pseudo-label ``c`` is rejected with
    probability ``q_A[c]``: the rarest class is always accepted, the most
    frequent one accepted with probability ``p_A^min / p_A^max``.

    Args:
        counts: ``[C]`` anchors per class.
        add_one: LADA's code: counts ``+ 1`` (``q = (n_c - n_min) / (n_max
            + 1)``), so no class is rejected surely.

    Returns:
        ``float64 [C]`` in ``[0, 1]``; zeros for an empty set.
    """
    n = np.asarray(counts, dtype=np.float64)
    if n.ndim != 1 or (n < 0).any():
        raise ValueError(f'counts must be a [C] non-negative vector, got '
                         f'{n}')
    if add_one:
        n = n + 1.0
    top = n.max() if n.size else 0.0
    if top <= 0:
        return np.zeros_like(n)
    return (n - n.min()) / top


def accept_proposals(ids: Sequence[int],
                     labels: Sequence[int],
                     conf: Sequence[float],
                     xi: Sequence[float],
                     member: np.ndarray,
                     counts: np.ndarray,
                     pending_counts: np.ndarray,
                     threshold: float = 0.9,
                     add_one: bool = False,
                     count_pending: bool = False) -> List[int]:
    """LADA Alg. 2, lines 3-7, for proposals in order.

    Proposal ``i`` (target image ``ids[i]`` with pseudo-label ``labels[i]``
    and confidence ``conf[i]``) joins ``S`` iff ``conf[i] >= threshold``,
    ``xi[i] >= q_A[labels[i]]`` (Eq. 4) and the image is not in ``A`` or
    ``S`` yet (``member``).  ``q_A`` is computed from ``counts`` (the
    anchor set ``A``; the paper's "current A"), plus ``pending_counts``
    (``S``) when ``count_pending`` (the code updates its counts at once).
    ``member`` and ``pending_counts`` are updated in place.

    Args:
        ids: target image index of each proposal.
        labels: pseudo-label of each proposal.
        conf: confidence of each pseudo-label.
        xi: the uniform draw of each proposal, compared with ``q_A``.
        member: ``bool [num_images]``, images already in ``A`` or ``S``.
        counts: ``[num_classes]`` images per class in ``A``.
        pending_counts: ``[num_classes]`` images per class in ``S``.
        threshold: the confidence threshold (0.9).
        add_one: add one to every class count before Eq. 4.
        count_pending: count ``S`` beside ``A`` in ``q_A``.

    Returns:
        list[int]: Positions of the accepted proposals.
    """
    accepted = []
    q = None
    for i, (img, y, p, u) in enumerate(zip(ids, labels, conf, xi)):
        if p < threshold or member[img]:
            continue
        if q is None or count_pending:
            total = counts + pending_counts if count_pending else counts
            q = rejection_probabilities(total, add_one)
        if u >= q[y]:
            accepted.append(i)
            member[img] = True
            pending_counts[y] += 1
    return accepted
