# SDM-G's query (Xie et al., CVPR 2022, Eq. 3, 8-9; see
# configs/sdm/README.md): margin sampling plus lambda = 0.01 times the
# cosine between the loss and query gradients w.r.t. the 256-d feature
# (lam=0: plain SDM margin sampling).
strategy = dict(type='SDM', lam=0.01, margin=1.0, seed=0)
