"""Pure array algorithms used by the selection strategies.

Nothing here holds an ``N x N`` matrix over a pool, draws an unseeded
random number, or imports torch / scikit-learn at module level.
"""
from .clustering import nearest_to_centres, seeded_kmeans
from .distances import DenseSqDist, OuterSqDist, SqDist, min_sq_dist
from .kcenter import farthest_first
from .kmeanspp import kmeanspp
from .knn import cosine_knn, knn_weights, l2_normalize
from .lada import accept_proposals, rejection_probabilities
from .sage import (SageSqDist, class_disc_grad, expected_gradient,
                   positive_orthogonal_projection, sage_embedding)
from .sdm import (linear_logits, margin_loss_logit_grad, q_logit_grad,
                  sdm_scores, top2, train_loss_logit_grad)
from .selection import check_budget, describe, grow_until_spent, sklearn_seed

__all__ = [
    'nearest_to_centres', 'seeded_kmeans', 'SqDist', 'DenseSqDist',
    'OuterSqDist', 'SageSqDist', 'min_sq_dist', 'farthest_first', 'kmeanspp',
    'cosine_knn', 'knn_weights', 'l2_normalize', 'rejection_probabilities',
    'accept_proposals', 'class_disc_grad', 'expected_gradient',
    'positive_orthogonal_projection', 'sage_embedding', 'linear_logits',
    'margin_loss_logit_grad', 'q_logit_grad', 'sdm_scores', 'top2',
    'train_loss_logit_grad', 'check_budget', 'describe', 'sklearn_seed',
    'grow_until_spent'
]
