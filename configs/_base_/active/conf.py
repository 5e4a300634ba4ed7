# CONF baseline (ADeADA supplement B): see configs/active_baselines/README.md.
strategy = dict(type='Confidence', seed=0)
