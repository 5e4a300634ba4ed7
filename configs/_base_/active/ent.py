# ENT baseline (ADeADA supplement B): see configs/active_baselines/README.md.
strategy = dict(type='Entropy', seed=0)
