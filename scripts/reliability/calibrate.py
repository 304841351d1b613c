#!/usr/bin/env python3
"""Fits the per-window confidence model of pipeline/fusion.cpp (window_confidence) and measures it
held out by mother, by the protocol of docs/RELIABILITY.md.

Input: the CSV that `build/native/eval_reliability --windows FILE` writes (one row per record ×
method × 10-s window: the chosen candidate's evidence, the window's SQI, whether it passed the hard
rules, and whether its FHR was right). For each variant (pooled: methods ending in "-pool";
single: the others) a logistic regression P(right | coverage, maternal excess, agreement, SQI,
consistency of the picked and tracked beats),
each coefficient held to the sign it must have (SIGNS), is fitted on 4 folds of mothers and
applied to the 5th; then the held-out coverage and confidently-wrong rates (over 5-s blocks, at
the fixed threshold 0.8) are printed per method, and the coefficients fitted on every fold, to be
copied into fusion.cpp. Windows of recordings without a fetus (eval_reliability --null; dataset
"null") join the fit as wrong ones, dealt into the folds after the mothers; their held-out share
of blocks claimed reliable is printed apart (it must be 0).

  /usr/bin/python3 scripts/reliability/calibrate.py out/windows.csv [--threshold 0.8] [--seed 2026]
"""
import argparse
import csv
import sys
from collections import defaultdict

import numpy as np

# Challenge 2013 excerpts of ADFECGDB recordings (matched by their reference beats; issue 3).
EXCERPTS = {"r01": ["a04", "a05", "a22"], "r04": ["a13", "a20", "a25"], "r07": ["a19", "a23", "a24"],
            "r08": ["a08", "a15", "a17"], "r10": ["a03", "a12", "a14"]}
POOR_REFERENCES = {"a33", "a38", "a47"}
FEATURES = ["coverage", "maternal_excess", "agreement", "sqi", "consistency"]


def mother_of(record):
    for mother, excerpts in EXCERPTS.items():
        if record == mother or record in excerpts:
            return mother
    return record


def fold_key(row):
    """The key of a window's row in the folds: its mother, or its recording when it has no fetus."""
    return "null:" + row["record"] if row["dataset"] == "null" else mother_of(row["record"])


def folds(mothers, seed, k=5):
    ordered = sorted(mothers)
    order = np.random.default_rng(seed).permutation(len(ordered))
    return {ordered[j]: i % k for i, j in enumerate(order)}


def fit_logistic(x, y, l2=1e-2, iterations=50):
    """Newton-Raphson (IRLS) with a small ridge on the slopes; x: n × d, y: 0/1."""
    a = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(a.shape[1])
    ridge = np.full(a.shape[1], l2)
    ridge[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-a @ w))
        g = a.T @ (p - y) + ridge * w
        h = (a * (p * (1 - p))[:, None]).T @ a + np.diag(ridge)
        step = np.linalg.solve(h, g)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w


# The sign each coefficient must have: more regular beats, more agreement between candidates, picked
# beats the tracker confirms and a cleaner signal can only raise the confidence; beats on the mother's can only lower it. A fit
# that gives a feature the other sign (it happens when the hard rules have already removed the
# windows where the feature matters) drops that feature and is redone, so that no window is ever
# trusted more for looking more maternal.
SIGNS = {"coverage": 1, "maternal_excess": -1, "agreement": 1, "sqi": 1, "consistency": 1}


def fit_signed(x, y, names):
    """fit_logistic over the features `names` (columns of x) with the SIGNS constraints; returns
    the intercept and one coefficient per name (0 for a dropped feature)."""
    kept = list(range(len(names)))
    while True:
        w = fit_logistic(x[:, kept], y)
        wrong = [c for c, v in zip(kept, w[1:]) if np.sign(v) == -SIGNS[names[c]]]
        if not wrong:
            break
        # Drop the worst offender only: the others may change sign once it is gone.
        kept.remove(max(wrong, key=lambda c: abs(w[1 + kept.index(c)])))
    full = np.zeros(len(names) + 1)
    full[0] = w[0]
    for c, v in zip(kept, w[1:]):
        full[1 + c] = v
    return full


def predict(w, x):
    return 1.0 / (1.0 + np.exp(-(w[0] + x @ w[1:])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("windows_csv")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()

    every_row = [r for r in csv.DictReader(open(args.windows_csv)) if r["record"] not in POOR_REFERENCES]
    rows = [r for r in every_row if r["dataset"] != "null"]
    null_rows = [r for r in every_row if r["dataset"] == "null"]
    if not rows:
        sys.exit("calibrate: no windows in " + args.windows_csv)
    mothers = sorted({mother_of(r["record"]) for r in rows})
    fold_of = folds(mothers, args.seed)
    # Recordings without a fetus (eval_reliability --null) are dealt into the folds after the
    # mothers, one by one, so that the mothers' folds stay the protocol's.
    for i, name in enumerate(sorted({r["record"] for r in null_rows})):
        fold_of["null:" + name] = i % 5
    print(f"{len(rows)} windows, {len(mothers)} mothers in 5 folds (seed {args.seed})"
          + (f"; {len(null_rows)} windows of {len({r['record'] for r in null_rows})} recordings without a fetus"
             if null_rows else ""))

    for variant, pooled in (("pooled", True), ("single", False)):
        # Windows where no candidate found a beat ("none") are unreliable whatever the model: they
        # count in the coverage's denominator, not in the fit.
        every = [r for r in rows + null_rows if r["method"].endswith("-pool") == pooled]
        sel = [r for r in every if r["source"] != "none"]
        if not sel:
            continue
        x = np.array([[float(r[f]) for f in FEATURES] for r in sel])
        if not pooled:
            x[:, FEATURES.index("agreement")] = 0.0  # a pool of one has no agreement
        y = np.array([int(r["right"]) for r in sel], dtype=float)
        fold = np.array([fold_of[fold_key(r)] for r in sel])
        held_out = np.zeros(len(sel))
        names = [FEATURES[c] for c in _cols(pooled)]
        for k in range(5):
            train, test = fold != k, fold == k
            w = fit_signed(x[train][:, _cols(pooled)], y[train], names)
            held_out[test] = predict(w, x[test][:, _cols(pooled)])
        w_all = fit_signed(x[:, _cols(pooled)], y, names)
        print(f"\n{variant}: {len(sel)} windows, {y.mean():.3f} right; coefficients fitted on all folds:")
        print("  intercept %.3f, " % w_all[0] + ", ".join(f"{n} {v:.3f}" for n, v in zip(names, w_all[1:])))
        # Held-out reliability per method, over 5-s blocks (a window holds `blocks` of them).
        by_method = defaultdict(lambda: np.zeros(4))
        null_claims = defaultdict(lambda: np.zeros(2))  # blocks claimed reliable, blocks
        for r in every:
            if r["source"] == "none" and r["dataset"] != "null":
                by_method[r["method"]] += [int(r["blocks"]), 0, 0, 1]
            elif r["source"] == "none":
                null_claims[r["method"]] += [0, int(r["blocks"])]
        for r, p, right in zip(sel, held_out, y):
            blocks = int(r["blocks"])
            reliable = int(r["hard_ok"]) == 1 and p >= args.threshold
            if r["dataset"] == "null":
                null_claims[r["method"]] += [blocks * reliable, blocks]
            else:
                by_method[r["method"]] += [blocks, blocks * reliable, blocks * reliable * (1 - right), 1]
        for method, (blocks, covered, wrong, n) in sorted(by_method.items()):
            print(f"  {method:<14} held out: coverage {covered / blocks:.3f}, confidently wrong {wrong / blocks:.4f} "
                  f"({int(n)} windows)")
        for method, (claimed, blocks) in sorted(null_claims.items()):
            print(f"  {method:<14} held out, recordings without a fetus: {int(claimed)} of {int(blocks)} blocks "
                  "claimed reliable")
        counts = np.bincount(np.minimum(4, (held_out * 5).astype(int)), minlength=5)
        print("  calibration (held out): " + ", ".join(
            f"p {b / 5:.1f}-{(b + 1) / 5:.1f}: {counts[b]} windows, {y[np.minimum(4, (held_out * 5).astype(int)) == b].mean():.2f} right"
            for b in range(5) if counts[b]))


def _cols(pooled):
    return [0, 1, 2, 3, 4] if pooled else [0, 1, 3, 4]


if __name__ == "__main__":
    main()
