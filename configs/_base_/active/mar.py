# MAR baseline (ADeADA supplement B): see configs/active_baselines/README.md.
strategy = dict(type='Margin', seed=0)
