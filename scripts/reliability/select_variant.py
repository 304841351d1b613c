#!/usr/bin/env python3
"""Chooses between design variants held out by mother, by the protocol of docs/RELIABILITY.md.

Each variant is one run of `build/native/eval_reliability ... --json FILE` with the variant
switched on. For each of the protocol's 5 folds of mothers, the variant with the best mean fetal
QRS F1 of the chosen method on the other four folds is picked, and scored on the fold itself; the
held-out figures are the pooled scores of the picks. A variant that wins because it suits the
records it is scored on cannot win here, so the figures printed are what the choice is worth on
mothers it never saw (a variant picked in every fold is the one to ship).

  /usr/bin/python3 scripts/reliability/select_variant.py NAME=run.json NAME=run.json ...
      [--method fhnet-pool] [--seed 2026]

Records with poor references (a33, a38, a47) take no part, as in the headline figures.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibrate import POOR_REFERENCES, folds, mother_of  # noqa: E402


def load(path, method):
    """{record: (dataset, f1, mae)} of one variant's run, for `method`."""
    out = {}
    for r in json.load(open(path))["records"]:
        if r["method"] == method and r["record"] not in POOR_REFERENCES:
            out[r["record"]] = (r["dataset"], r["f1"], r["fhr_trace_mae_bpm"])
    if not out:
        sys.exit(f"select_variant: no records of method {method} in {path}")
    return out


def summary(rows):
    """Mean F1 and FHR-trace MAE per dataset of [(dataset, f1, mae)]."""
    text = []
    for dataset in sorted({d for d, _, _ in rows}):
        f1 = [f for d, f, _ in rows if d == dataset]
        mae = [m for d, _, m in rows if d == dataset and m is not None and np.isfinite(m)]
        text.append(f"{dataset} n={len(f1)} F1 {np.mean(f1):.3f} MAE {np.mean(mae) if mae else float('nan'):.2f} bpm")
    return "; ".join(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("variants", nargs="+", help="NAME=eval_reliability.json")
    ap.add_argument("--method", default="fhnet-pool")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()

    runs = {}
    for item in args.variants:
        name, _, path = item.partition("=")
        if not path:
            sys.exit(f"select_variant: expected NAME=FILE, got {item!r}")
        runs[name] = load(path, args.method)
    records = sorted(set.intersection(*(set(r) for r in runs.values())))
    if len(records) < len(next(iter(runs.values()))):
        print("select_variant: only the records every run holds are compared", file=sys.stderr)
    fold_of = folds({mother_of(r) for r in records}, args.seed)

    for name, run in runs.items():
        print(f"{name:>16} (all records, for reference): {summary([run[r] for r in records])}")
    held_out = []
    for k in range(5):
        train = [r for r in records if fold_of[mother_of(r)] != k]
        test = [r for r in records if fold_of[mother_of(r)] == k]
        best = max(runs, key=lambda name: np.mean([runs[name][r][1] for r in train]))
        held_out += [runs[best][r] for r in test]
        print(f"fold {k}: picked {best} (train F1 {np.mean([runs[best][r][1] for r in train]):.4f}), "
              f"{len(test)} records held out")
    print(f"held out, the picks pooled: {summary(held_out)}")


if __name__ == "__main__":
    main()
