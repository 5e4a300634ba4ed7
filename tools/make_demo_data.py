"""Write the small synthetic source/target dataset used by the demos.

Example::

    python tools/make_demo_data.py data/demo
    python tools/make_demo_data.py data/demo_synthia --source-format synthia

Source images go to ``ROOT/gta5`` (or ``ROOT/synthia``), the target in
Cityscapes layout to ``ROOT/cityscapes``; ``ROOT/preview.png`` shows a few
of each.  Run ``tools/dataset_converters/gta5.py`` (or ``synthia.py``) on
the source afterwards to get trainId labels, as for the real data.
"""
import argparse

from mmseg_ada.testing.synthetic import make_synthetic_da


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic GTA5/SYNTHIA -> Cityscapes pair.')
    parser.add_argument('root', help='output directory')
    parser.add_argument('--num-source', type=int, default=60)
    parser.add_argument('--num-target-train', type=int, default=40)
    parser.add_argument('--num-target-val', type=int, default=80)
    parser.add_argument('--height', type=int, default=128)
    parser.add_argument('--width', type=int, default=256)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--source-format', choices=['gta5', 'synthia'], default='gta5')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='rebuild even if ROOT holds this dataset already')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    info = make_synthetic_da(
        args.root,
        num_source=args.num_source,
        num_target_train=args.num_target_train,
        num_target_val=args.num_target_val,
        size=(args.height, args.width),
        seed=args.seed,
        source_format=args.source_format,
        overwrite=args.overwrite,
        show_progress=True)
    verb = 'wrote' if info['created'] else 'kept existing (same parameters)'
    print(f"{verb} {info['root']}: {info['num_source']} source images "
          f"({info['source_format']}) in {info['source_img_dir']}, "
          f"{info['num_target_train']}+{info['num_target_val']} target "
          f"train+val images in {info['target_root']}; "
          f"preview: {info['preview']}")


if __name__ == '__main__':
    main()
