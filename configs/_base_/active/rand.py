# RAND baseline (ADeADA supplement B): see configs/active_baselines/README.md.
strategy = dict(type='Random', seed=0)
