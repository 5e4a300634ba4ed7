"""Benchmark: cost of ADA-MCU's contrastive units over plain CE training.

Times one training step (forward, loss, backward, SGD step) of
:class:`~mmseg_ada.models.segmentors.MCUEncoderDecoder` on the tiny
DeepLabV3+ (``configs/_base_/models/deeplabv3plus_r18-d8_tiny.py``, 19
classes), batch of 2 source + 2 target crops of ``--size`` (128x256), with
an in-memory acquisition (``tests/mcu_fakes.py``, budget 5% of the target
pixels as in the paper's Tables III-IV; every timed step still buys, and
pseudo-labels as well: ``pseudo_start='always'``), in two
variants built from the same seed:

* ``ce``: the segmentor with ``contrastive=None`` (uncertainty, adaptive
  sampling and purchases, CE on source / bought / pseudo-labelled pixels
  and the auxiliary head): the plain-CE baseline;
* ``mcu``: the full model: plus the six contrastive units (3 levels x p2p,
  c2c) with DCCM weights and the default caps (or ``--caps``).

Time: both models live in one process and their steps alternate (``ce``,
``mcu``, ``ce``, ...) on the same batches, so a busy, shared machine slows
both alike; each step is timed in CPU time of the process (``--threads``
intra-op threads, default 1) on the CPU, in synchronised wall time on a GPU.
After ``--warmup`` steps, ``--steps`` pairs are timed; the overhead is the
median over pairs of ``t_mcu / t_ce - 1``.  Peak memory: one process per
variant; on a GPU ``torch.cuda.max_memory_allocated`` over the timed steps,
on the CPU the growth of the process's peak resident set
(``resource.getrusage``) over its resident set once the model is built
(training's peak: gradients, optimiser state, activations).

The LAST line is ``overhead: <x>%``.

    python benchmarks/mcu.py [--steps 20] [--threads 1] [--device cpu]
"""
import argparse
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
VARIANTS = ('ce', 'mcu')


def _rss_mb() -> float:
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') / 2**20


class Bench:
    """One tiny MCU model (a variant) with its optimiser and fake store."""

    def __init__(self, variant: str, args) -> None:
        import numpy as np
        import torch
        from mmengine.config import Config
        from mmseg.registry import MODELS

        from tests.mcu_fakes import FakeAcquisition
        self.dev = torch.device(args.device)
        self.size = tuple(args.size)
        h, w = self.size
        cfg = Config.fromfile(
            osp.join(REPO, 'configs/_base_/models/'
                     'deeplabv3plus_r18-d8_tiny.py')).model
        cfg.type = 'MCUEncoderDecoder'
        # pseudo-labels in the buying steps too (the default starts them once
        # the budget is spent): every timed step has every term
        cfg.sampler = dict(decay='iteration', pseudo_start='always')
        if variant == 'ce':
            cfg.contrastive = None
        elif args.caps:
            cfg.contrastive = dict(
                type='MCUContrastiveLoss',
                max_anchors_per_class=args.caps[0],
                max_samples_per_class=args.caps[1])
        torch.manual_seed(0)
        self.model = MODELS.build(cfg).to(self.dev)
        self.model.train()
        self.num_classes = cfg.decode_head.num_classes
        self.orig = (h + 16, w + 32)
        rng = np.random.default_rng(0)
        self.keys = [f't/{i}.png' for i in range(16)]
        n_px = len(self.keys) * self.orig[0] * self.orig[1]
        self.acq = FakeAcquisition(
            {
                k: rng.integers(0, self.num_classes, self.orig)
                for k in self.keys
            },
            total=n_px // 20)
        self.model.acquisition = self.acq
        self.opt = torch.optim.SGD(
            self.model.parameters(), lr=1e-3, momentum=0.9)

    def batch(self, it: int):
        """2 source (blocky labels) + 2 target crops of iteration ``it``."""
        import torch
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        h, w = self.size
        g = torch.Generator().manual_seed(it)
        src = []
        for i in range(2):
            s = SegDataSample(
                metainfo=dict(img_path=f's/{it}_{i}', img_shape=(h, w)))
            lab = torch.randint(
                0, self.num_classes, (1, h // 16, w // 16), generator=g)
            s.gt_sem_seg = PixelData(
                data=lab.repeat_interleave(16, 1).repeat_interleave(16, 2).to(
                    self.dev))
            src.append(s)
        tgt = []
        for i in range(2):
            y0 = int(torch.randint(0, 16, (1, ), generator=g))
            x0 = int(torch.randint(0, 32, (1, ), generator=g))
            ys, xs = torch.meshgrid(
                torch.arange(y0, y0 + h),
                torch.arange(x0, x0 + w),
                indexing='ij')
            s = SegDataSample(
                metainfo=dict(
                    img_path=self.keys[(2 * it + i) % len(self.keys)],
                    img_shape=(h, w)))
            s.gt_pixel_index = PixelData(
                data=(ys * self.orig[1] + xs)[None].to(self.dev))
            tgt.append(s)
        return (torch.randn(2, 3, h, w, generator=g).to(self.dev), src,
                torch.randn(2, 3, h, w, generator=g).to(self.dev), tgt)

    def step(self, batch) -> float:
        """One training step; its duration in seconds."""
        import torch
        cuda = self.dev.type == 'cuda'
        clock = time.perf_counter if cuda else time.process_time
        t0 = clock()
        self.opt.zero_grad()
        loss, _ = self.model.parse_losses(self.model.loss(*batch))
        loss.backward()
        self.opt.step()
        if cuda:
            torch.cuda.synchronize()
        return clock() - t0


def _setup(args) -> None:
    sys.path.insert(0, REPO)
    import torch
    from mmengine.registry import init_default_scope

    import mmseg_ada  # noqa: F401
    torch.set_num_threads(args.threads)
    init_default_scope('mmseg')


def time_variants(args) -> dict:
    """Interleaved steps of both variants in this process."""
    _setup(args)
    benches = {v: Bench(v, args) for v in VARIANTS}
    times = {v: [] for v in VARIANTS}
    for it in range(args.warmup + args.steps):
        batch = benches['ce'].batch(it)
        for v in VARIANTS:
            t = benches[v].step(batch)
            if it >= args.warmup:
                times[v].append(t)
    ratios = [m / c for c, m in zip(times['ce'], times['mcu'])]
    return dict(
        median_s={
            v: statistics.median(t)
            for v, t in times.items()
        },
        overhead=statistics.median(ratios) - 1,
        spent_frac={
            v: b.acq.spent / b.acq.total
            for v, b in benches.items()
        })


def memory_variant(args) -> float:
    """Peak memory (MiB) of one variant's training steps."""
    _setup(args)
    import torch
    bench = Bench(args.memory, args)
    rss0 = _rss_mb()  # model built, nothing trained yet
    for it in range(args.warmup):
        bench.step(bench.batch(it))
    cuda = bench.dev.type == 'cuda'
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    for it in range(args.warmup, args.warmup + args.mem_steps):
        bench.step(bench.batch(it))
    if cuda:
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--mem-steps', type=int, default=5)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--size', type=int, nargs=2, default=(128, 256))
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--caps',
        type=int,
        nargs=2,
        metavar=('A', 'S'),
        help='anchors and samples per class and image '
        "(default: MCUContrastiveLoss's defaults)")
    parser.add_argument('--memory', choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        print(json.dumps(dict(peak_mb=memory_variant(args))))
        return
    peak = {}
    for v in VARIANTS:
        cmd = [
            sys.executable,
            osp.abspath(__file__), '--memory', v, '--warmup',
            str(args.warmup), '--mem-steps',
            str(args.mem_steps), '--threads',
            str(args.threads), '--device', args.device, '--size',
            *map(str, args.size)
        ]
        if args.caps:
            cmd += ['--caps', *map(str, args.caps)]
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        out = subprocess.run(
            cmd, capture_output=True, text=True, env=env, check=True)
        peak[v] = json.loads(out.stdout.strip().splitlines()[-1])['peak_mb']
    res = time_variants(args)
    caps = 'default caps' if not args.caps else \
        f'caps {args.caps[0]} anchors / {args.caps[1]} samples per class'
    mem = 'CUDA max allocated' if args.device.startswith('cuda') else \
        'peak RSS growth'
    print(f'tiny DeepLabV3+ R18, 2+2 crops of {args.size[0]}x{args.size[1]}'
          f', {args.threads} thread(s), device {args.device}, {caps}, '
          f'{args.steps} interleaved timed steps')
    for v in VARIANTS:
        print(f"{v:>4}: step {res['median_s'][v] * 1e3:8.1f} ms (median), "
              f'{mem} {peak[v]:.1f} MiB, bought '
              f"{100 * res['spent_frac'][v]:.1f}% of the budget")
    print('memory overhead: '
          f"{100 * (peak['mcu'] / max(peak['ce'], 1e-9) - 1):.1f}%")
    print(f"overhead: {100 * res['overhead']:.1f}%")


if __name__ == '__main__':
    main()
