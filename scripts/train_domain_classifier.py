"""Train ganlab's domain classifier for one dataset and write `<dataset>.safetensors` + `<dataset>.json`.

The JSON records the seed, schedule, test accuracy, training time, input shape, normalisation and the
sha256 of the weights file; `ganlab.metrics` refuses weights whose sha256 does not match it.

    python scripts/train_domain_classifier.py --dataset fashion-mnist --out src/ganlab/metrics/weights/
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import torch

from ganlab.config.schema import DataConfig
from ganlab.data import load_dataset
from ganlab.metrics.classifier import build_classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist", help="dataset name (`ganlab data list`)")
    parser.add_argument("--root", default=None, help="data.root: directory holding the dataset files")
    parser.add_argument("--out", type=Path, default=Path("src/ganlab/metrics/weights"), help="output directory")
    parser.add_argument("--epochs", type=int, default=6, help="passes over the training split")
    parser.add_argument("--seed", type=int, default=0, help="seed of weight init, data order and augmentation")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    data = DataConfig(name=args.dataset, root=args.root)
    train, test = load_dataset(data, "train"), load_dataset(data, "test")
    record = build_classifier(train, test, args.out, epochs=args.epochs, seed=args.seed)
    print(json.dumps(asdict(record), indent=2))


if __name__ == "__main__":
    main()
