# SAGE (Bouvier et al.; see configs/sage/README.md): the stochastic
# adversarial gradient embedding of the TSF discriminator (Eq. 3-6) with
# Algorithm 1's farthest-first diversity.  The model must serve 'disc_grad'
# (TSFRegularizer).
strategy = dict(type='SAGE', diversity='farthest', pop=True, seed=0)
