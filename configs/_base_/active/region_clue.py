# Region-level CLUE (ADeADA supplement B, Figure 3): entropy-weighted
# k-means of the regions' mean features (weights: the entropy of the
# region's mean softmax, T = 1 as the authors' region code), the region
# nearest each centre.  See configs/active_baselines/README.md.
strategy = dict(type='RegionCLUE', seed=0, temperature=1.0)
