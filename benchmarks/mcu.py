"""Benchmark: cost of ADA-MCU's contrastive units over plain CE training.

Times one training step (forward, loss, backward, SGD step) of
:class:`~mmseg_ada.models.segmentors.MCUEncoderDecoder` on the tiny
DeepLabV3+ (``configs/_base_/models/deeplabv3plus_r18-d8_tiny.py``, 19
classes), batch of 2 source + 2 target crops of ``--size`` (128x256), with
an in-memory acquisition (``tests/mcu_fakes.py``), in two variants:

* ``ce``: the same segmentor with ``contrastive=None`` (uncertainty,
  adaptive sampling and purchases, CE on source / bought / pseudo-labelled
  pixels and the auxiliary head): the plain-CE baseline;
* ``mcu``: the full model: plus the six contrastive units (3 levels x p2p,
  c2c) with DCCM weights and their default caps.

Each variant runs in its own process (``--repeats`` times, alternating, the
best median kept: the machine is shared), ``--warmup`` steps then
``--steps`` timed steps (CPU time of the process on the CPU, robust on a
shared machine; wall time with synchronisation on a GPU).  Peak memory:
``torch.cuda.max_memory_allocated`` of the timed steps on a GPU; on the
CPU the growth of the process's peak resident set (``resource.getrusage``)
over its resident set once the model is built (training's peak: weights'
gradients, optimiser state, activations).  The
budget is large enough that every timed step is still buying (phase 1/2).
The LAST line is ``overhead: <x>%``, the step-time overhead of ``mcu`` over
``ce``.

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


def _rss_mb() -> float:
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') / 2**20


def worker(args) -> dict:
    """Run one variant; return its timings and memory as a dict."""
    sys.path.insert(0, REPO)
    import numpy as np
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample

    import mmseg_ada  # noqa: F401
    from tests.mcu_fakes import FakeAcquisition

    torch.set_num_threads(args.threads)
    init_default_scope('mmseg')
    dev = torch.device(args.device)
    h, w = args.size
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/models/'
                 'deeplabv3plus_r18-d8_tiny.py')).model
    cfg.type = 'MCUEncoderDecoder'
    cfg.sampler = dict(decay='iteration')
    if args.variant == 'ce':
        cfg.contrastive = None
    elif args.caps:
        cfg.contrastive = dict(type='MCUContrastiveLoss',
                               max_anchors_per_class=args.caps[0],
                               max_samples_per_class=args.caps[1])
    torch.manual_seed(0)
    model = MODELS.build(cfg).to(dev)
    model.train()
    num_classes = cfg.decode_head.num_classes
    orig = (h + 16, w + 32)
    rng = np.random.default_rng(0)
    keys = [f't/{i}.png' for i in range(16)]
    # 5% of the target pixels (the paper's Tables III-IV); it outlasts the
    # timed steps, so every step buys
    acq = FakeAcquisition(
        {k: rng.integers(0, num_classes, orig) for k in keys},
        total=len(keys) * orig[0] * orig[1] // 20)
    model.acquisition = acq
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def batch(it):
        g = torch.Generator().manual_seed(it)
        src = []
        for i in range(2):
            s = SegDataSample(metainfo=dict(img_path=f's/{it}_{i}',
                                            img_shape=(h, w)))
            # blocky labels, like a real scene
            lab = torch.randint(0, num_classes, (1, h // 16, w // 16),
                                generator=g)
            s.gt_sem_seg = PixelData(data=lab.repeat_interleave(
                16, 1).repeat_interleave(16, 2).to(dev))
            src.append(s)
        tgt = []
        for i in range(2):
            y0, x0 = int(torch.randint(0, 16, (1, ), generator=g)), int(
                torch.randint(0, 32, (1, ), generator=g))
            ys, xs = torch.meshgrid(torch.arange(y0, y0 + h),
                                    torch.arange(x0, x0 + w), indexing='ij')
            s = SegDataSample(metainfo=dict(
                img_path=keys[(2 * it + i) % len(keys)], img_shape=(h, w)))
            s.gt_pixel_index = PixelData(
                data=(ys * orig[1] + xs)[None].to(dev))
            tgt.append(s)
        return (torch.randn(2, 3, h, w, generator=g).to(dev), src,
                torch.randn(2, 3, h, w, generator=g).to(dev), tgt)

    def train_step(it):
        inputs, src, tin, tgt = batch(it)
        opt.zero_grad()
        loss, _ = model.parse_losses(model.loss(inputs, src, tin, tgt))
        loss.backward()
        opt.step()

    rss0 = _rss_mb()  # model built, nothing trained yet
    for it in range(args.warmup):
        train_step(it)
    cuda = dev.type == 'cuda'
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    clock = time.perf_counter if cuda else time.process_time
    for it in range(args.warmup, args.warmup + args.steps):
        t0 = clock()
        train_step(it)
        if cuda:
            torch.cuda.synchronize()
        times.append(clock() - t0)
    if cuda:
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss / 1024 - rss0
    return dict(variant=args.variant, median_s=statistics.median(times),
                mean_s=statistics.mean(times), peak_mb=peak,
                spent_frac=acq.spent / acq.total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--size', type=int, nargs=2, default=(128, 256))
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--caps', type=int, nargs=2, metavar=('A', 'S'),
                        help='anchors and samples per class and image '
                        '(default: MCUContrastiveLoss\'s defaults)')
    parser.add_argument('--variant', choices=('ce', 'mcu'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(worker(args)))
        return
    best = {}
    for _ in range(args.repeats):
        for variant in ('ce', 'mcu'):
            cmd = [sys.executable, osp.abspath(__file__), '--variant',
                   variant, '--steps', str(args.steps), '--warmup',
                   str(args.warmup), '--threads', str(args.threads),
                   '--device', args.device, '--size', *map(str, args.size)]
            if args.caps:
                cmd += ['--caps', *map(str, args.caps)]
            env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
            out = subprocess.run(cmd, capture_output=True, text=True,
                                 env=env, check=True)
            res = json.loads(out.stdout.strip().splitlines()[-1])
            prev = best.get(variant)
            if prev is None or res['median_s'] < prev['median_s']:
                res['peak_mb'] = max(res['peak_mb'], prev['peak_mb']) \
                    if prev else res['peak_mb']
                best[variant] = res
            else:
                prev['peak_mb'] = max(prev['peak_mb'], res['peak_mb'])
    ce, mcu = best['ce'], best['mcu']
    mem = 'CUDA max allocated' if args.device.startswith('cuda') else \
        'peak RSS growth'
    caps = 'default caps' if not args.caps else \
        f'caps {args.caps[0]} anchors / {args.caps[1]} samples per class'
    print(f'tiny DeepLabV3+ R18, 2+2 crops of {args.size[0]}x{args.size[1]}'
          f', {args.threads} thread(s), device {args.device}, '
          f'{args.steps} timed steps, best of {args.repeats} runs, {caps}')
    for r in (ce, mcu):
        print(f"{r['variant']:>4}: step {r['median_s'] * 1e3:8.1f} ms "
              f"(median; mean {r['mean_s'] * 1e3:.1f} ms), "
              f"{mem} {r['peak_mb']:.1f} MiB, bought "
              f"{100 * r['spent_frac']:.1f}% of the budget")
    mem_over = 100 * (mcu['peak_mb'] - ce['peak_mb']) / max(
        ce['peak_mb'], 1e-9)
    print(f'memory overhead: {mem_over:.1f}%')
    print(f"overhead: {100 * (mcu['median_s'] / ce['median_s'] - 1):.1f}%")


if __name__ == '__main__':
    main()
