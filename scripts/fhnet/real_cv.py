"""Fine-tunes FHNet on the real annotated recordings and measures it only on recordings whose
mother it never saw (cross-validation by mother):

    /usr/bin/python3 scripts/fhnet/real_cv.py --base scripts/.cache/runs/fhnet/best.pt
    /usr/bin/python3 scripts/fhnet/real_cv.py --base A.pt --final     # then the model on them all

1. Training windows: every ADFECGDB and Challenge 2013 recording with reference fetal beats in
   --data goes through `fecg windows <record> --ref <beats> --hop 256` (the pipeline's own
   preprocessing and normalisation; the R-peak target of `fecg dataset` at the reference beats).
2. Mothers: 15 Challenge 2013 set A records are 60 s excerpts of ADFECGDB recordings (see
   ../shared/data/README.md). An excerpt is matched to its source by its reference beats (the same
   beats, shifted by the excerpt's start), so a mother's recordings are always on one side of a
   split. Every other recording is its own group.
3. Folds: the ADFECGDB groups are dealt one per fold, then the others round-robin.
4. Per fold, `train.py --init BASE --real <windows> --real-exclude <the fold's recordings>`: the
   simulated batches as in the base training, plus the R-peak loss on real windows.
5. Every fold's network runs (PyTorch) on the pipeline windows of its held-out recordings
   (eval_classical --dump-windows: the default hop, as the product runs); the outputs go back
   through the C++ pipeline (--engine-outputs), so every recording is scored by a network that
   never saw its mother, with the same blending, beat detection and scoring as every other row.
   The base network and TS-ICA are scored in the same run for comparison.
6. --final: the same fine-tune on every recording (<work>/all/best.pt) — the model to export; its
   real-data figures are the cross-validated ones of step 5.

Everything is resumable: windows and runs already complete are reused, an interrupted fold's
training resumes from its checkpoint. Writes <work>/cv.json and <work>/cv.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import load_network, run_network  # noqa: E402
from train import find_fecg  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CACHE = os.path.join(REPO, "scripts", ".cache")
TRAIN_HOP = 256  # training windows every ~1 s: 4 views of every beat at different window offsets


# ----------------------------------------------------------------------------- WFDB annotations

def read_wfdb_beats(path: str) -> np.ndarray:
    """Sample indices of the beat annotations (codes 1..49) of a WFDB annotation file (MIT format:
    16-bit words, 6-bit code and 10-bit time increment; SKIP, NUM, SUB, CHN and AUX words)."""
    data = np.fromfile(path, dtype="<u2")
    t, i, beats = 0, 0, []
    while i < len(data):
        word = int(data[i])
        code, value = word >> 10, word & 0x3FF
        i += 1
        if code == 0 and value == 0:
            break
        if code == 59:  # SKIP: a 32-bit increment follows, high half first
            if i + 2 > len(data):
                raise ValueError(f"{path}: truncated SKIP")
            skip = (int(data[i]) << 16) | int(data[i + 1])
            t += skip - (1 << 32) if skip >= 1 << 31 else skip
            i += 2
        elif code == 63:  # AUX: value bytes of text, padded to a word
            i += (value + 1) // 2
        elif code in (60, 61, 62):  # NUM, SUB, CHN: no time
            pass
        else:
            t += value
            if 1 <= code <= 49:
                beats.append(t)
    return np.asarray([b for b in beats if b > 0], dtype=np.int64)  # ADFECGDB: a dummy beat at 0


# ------------------------------------------------------------------------------------ recordings

def recordings(data: str) -> list[dict]:
    """Every recording with reference beats: name (eval_classical's key), record path, beats path."""
    found = []
    adf = os.path.join(data, "adfecgdb")
    if os.path.isdir(adf):
        for f in sorted(os.listdir(adf)):
            if f.endswith(".edf") and os.path.exists(os.path.join(adf, f + ".qrs")):
                found.append({"name": "adfecgdb_" + f[:-4], "dataset": "adfecgdb", "record": os.path.join(adf, f),
                              "ref": os.path.join(adf, f + ".qrs")})
    ch = os.path.join(data, "challenge2013")
    if os.path.isdir(ch):
        for f in sorted(os.listdir(ch)):
            stem = f[:-4]
            if f.endswith(".hea") and os.path.exists(os.path.join(ch, stem + ".fqrs")):
                found.append({"name": "challenge2013_" + stem, "dataset": "challenge2013",
                              "record": os.path.join(ch, stem), "ref": os.path.join(ch, stem + ".fqrs")})
    return found


def excerpt_of(beats: np.ndarray, source: np.ndarray, tolerance: int = 4, share: float = 0.9) -> int | None:
    """The offset o at which `beats` (an excerpt's reference) equal source - o for at least `share`
    of them within `tolerance` samples, or None."""
    if len(beats) < 5 or len(source) < len(beats):
        return None
    for anchor in beats[:3]:
        for o in source - anchor:
            shifted = beats + o
            j = np.clip(np.searchsorted(source, shifted), 1, len(source) - 1)
            near = np.minimum(np.abs(source[j] - shifted), np.abs(source[j - 1] - shifted))
            if np.mean(near <= tolerance) >= share:
                return int(o)
    return None


def mother_groups(recs: list[dict]) -> list[list[str]]:
    """Recordings grouped by mother: each ADFECGDB recording with the excerpts matched to it, then
    every other recording alone."""
    beats = {r["name"]: read_wfdb_beats(r["ref"]) for r in recs}
    sources = [r["name"] for r in recs if r["dataset"] == "adfecgdb"]
    groups = {s: [s] for s in sources}
    alone = []
    for r in recs:
        if r["dataset"] == "adfecgdb":
            continue
        home = next((s for s in sources if excerpt_of(beats[r["name"]], beats[s]) is not None), None)
        (groups[home] if home else alone).append(r["name"])
    return list(groups.values()) + [[n] for n in alone]


def folds_of(groups: list[list[str]], k: int) -> list[list[str]]:
    folds: list[list[str]] = [[] for _ in range(k)]
    for i, g in enumerate(groups):
        folds[i % k].extend(g)
    return [sorted(f) for f in folds if f]


# ------------------------------------------------------------------------------------------ steps

def run(cmd: list[str], quiet: bool = False) -> None:
    print("real_cv: " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if quiet else None)


def make_training_windows(fecg: str, recs: list[dict], out: str) -> None:
    for r in recs:
        d = os.path.join(out, r["name"])
        if os.path.exists(os.path.join(d, "windows.json")):
            continue
        tmp = d + ".partial"
        shutil.rmtree(tmp, ignore_errors=True)
        run([fecg, "windows", r["record"], "--ref", r["ref"], "--hop", str(TRAIN_HOP), "--out", tmp, "--quiet"])
        os.replace(tmp, d)


def fine_tune(args, run_dir: str, exclude: list[str], windows: str) -> str:
    best = os.path.join(run_dir, "best.pt")
    done = os.path.join(run_dir, "done")
    if not os.path.exists(done):
        cmd = [sys.executable, os.path.join(REPO, "scripts", "fhnet", "train.py"), "--init", args.base,
               "--real", windows, "--real-weight", str(args.real_weight), "--run-dir", run_dir,
               "--steps", str(args.steps), "--warmup", str(args.warmup), "--lr", str(args.lr),
               "--eval-every", str(args.steps), "--log-every", "100", "--threads", str(args.threads)]
        cmd += ["--real-exclude", ",".join(exclude)] if exclude else []
        cmd += ["--data", args.sim_data] if args.sim_data else []
        cmd += args.train_args
        run(cmd)
        with open(done, "w") as f:
            f.write("complete\n")
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", help="the checkpoint to fine-tune (trained on simulation)")
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    ap.add_argument("--work", default=os.path.join(CACHE, "real_cv"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--warmup", type=int, default=40)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--real-weight", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sim-data", default=None, help="train.py --data (the simulated windows of the base run)")
    ap.add_argument("--final", action="store_true", help="also fine-tune on every recording: <work>/all/best.pt")
    ap.add_argument("--smoke", action="store_true", help="CI: the annotation reader, the matching of excerpts, the folds")
    ap.add_argument("train_args", nargs="*", help="after --: more train.py options (e.g. its data ranges)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.smoke:
        smoke(args)
        return
    if not args.base:
        raise SystemExit("real_cv: --base CHECKPOINT is required")
    fecg = find_fecg(None)
    ec = os.path.join(REPO, "build", "native", "eval_classical")
    if not os.path.exists(ec):
        raise SystemExit(f"real_cv: {ec} missing; run scripts/build.sh native")
    recs = recordings(args.data)
    if len(recs) < args.folds:
        raise SystemExit(f"real_cv: {len(recs)} annotated recordings in {args.data}; need at least --folds {args.folds}")
    os.makedirs(args.work, exist_ok=True)

    windows = os.path.join(args.work, "windows")
    make_training_windows(fecg, recs, windows)
    groups = mother_groups(recs)
    folds = folds_of(groups, args.folds)
    print("real_cv: mothers: " + "; ".join(" ".join(g) for g in groups), file=sys.stderr)

    pipeline_windows = os.path.join(args.work, "pipeline-windows")
    if not os.path.isdir(pipeline_windows):
        run([ec, args.data, "--dump-windows", pipeline_windows + ".partial"], quiet=True)
        os.replace(pipeline_windows + ".partial", pipeline_windows)

    outputs = {"cv": os.path.join(args.work, "outputs", "cv"), "base": os.path.join(args.work, "outputs", "base")}
    for d in outputs.values():
        shutil.rmtree(d, ignore_errors=True)
    base_net, _ = load_network(args.base)
    run_network(base_net, pipeline_windows, outputs["base"])
    fold_info = []
    for i, held_out in enumerate(folds):
        best = fine_tune(args, os.path.join(args.work, f"fold-{i}"), held_out, windows)
        net, meta = load_network(best)
        n, secs = run_network(net, pipeline_windows, outputs["cv"], keys=held_out)
        fold_info.append({"fold": i, "held_out": held_out, "checkpoint": os.path.relpath(best, REPO), **meta})
        print(f"real_cv: fold {i}: {n} windows of {len(held_out)} held-out recordings in {secs:.1f} s", file=sys.stderr)

    results = {}
    # The networks alone, and as `--method fhnet` runs them (TS-ICA taking over from a network
    # whose beats follow the mother's).
    for label, cmd in (("fhnet-real-cv", ["--methods", "external,external-pool", "--engine-outputs", outputs["cv"],
                                          "--engine-name", "fhnet-real-cv"]),
                       ("fhnet-sim", ["--methods", "external,external-pool", "--engine-outputs", outputs["base"],
                                      "--engine-name", "fhnet-sim"]),
                       ("ts-ica", ["--methods", "ts-ica"])):
        jpath = os.path.join(args.work, f"scores-{label}.json")
        run([ec, args.data, *cmd, "--json", jpath], quiet=True)
        with open(jpath) as f:
            results[label] = json.load(f)
    report = {"base": os.path.relpath(args.base, REPO), "mothers": groups, "folds": fold_info,
              "recipe": {"steps": args.steps, "warmup": args.warmup, "lr": args.lr, "real_weight": args.real_weight,
                         "train_hop": TRAIN_HOP, "train_args": args.train_args},
              "records": [r for part in results.values() for r in part["records"]],
              "means": [m for part in results.values() for m in part["means"]]}
    with open(os.path.join(args.work, "cv.json"), "w") as f:
        json.dump(report, f, indent=1)
    table = markdown(report)
    with open(os.path.join(args.work, "cv.md"), "w") as f:
        f.write(table + "\n")
    print(table)
    if args.final:
        best = fine_tune(args, os.path.join(args.work, "all"), [], windows)
        print(f"real_cv: the model fine-tuned on every recording: {best}", file=sys.stderr)


def markdown(report: dict) -> str:
    labels = [("fhnet-sim", "FHNet, simulation only"), ("fhnet-sim-pool", "the same, in the candidate pool"),
              ("fhnet-real-cv", "FHNet fine-tuned on real beats (held-out mothers)"),
              ("fhnet-real-cv-pool", "the same, in the candidate pool"), ("ts-ica", "TS-ICA")]
    out = ["| method | ADFECGDB F1 | FHR MAE | Challenge F1 | FHR MAE |", "|---|---|---|---|---|"]
    for key, name in labels:
        cells = []
        for ds in ("adfecgdb", "challenge2013"):
            m = next((m for m in report["means"] if m["method"] == key and m["dataset"] == ds), None)
            cells += ["–", "–"] if m is None else [f"{m['f1']:.3f}", f"{m['fhr_mae_bpm']:.2f}"]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    short = {"fhnet-sim": "sim only", "fhnet-sim-pool": "+ pool", "fhnet-real-cv": "real fine-tune",
             "fhnet-real-cv-pool": "+ pool", "ts-ica": "TS-ICA"}
    out += ["", "Fetal QRS F1 per recording:", "", "| recording | " + " | ".join(short[k] for k, _ in labels) + " |",
            "|---" * (len(labels) + 1) + "|"]
    names = sorted({(r["dataset"], r["record"]) for r in report["records"]})
    for ds, rec in names:
        cells = []
        for key, _ in labels:
            r = next((r for r in report["records"] if r["method"] == key and r["dataset"] == ds and r["record"] == rec), None)
            cells.append("–" if r is None else f"{r['f1']:.3f}")
        out.append(f"| {ds} {rec} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def smoke(args) -> None:
    """The annotation reader against the C++ one, excerpt matching and folds on simulated beats;
    on the real data, when present, the 15 excerpts the data README lists."""
    import tempfile
    fecg = find_fecg(None)
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, "r")
        subprocess.run([fecg, "synth", "--seconds", "60", "--seed", "3", "--nstdb", "none", "--out", rec],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([fecg, "windows", rec, "--ref", rec + ".fqrs", "--quiet", "--out", os.path.join(tmp, "w")], check=True)
        with open(os.path.join(tmp, "w", "windows.json")) as f:
            n_cpp = json.load(f)["reference_beats"]
        beats = read_wfdb_beats(rec + ".fqrs")
        assert len(beats) == n_cpp and np.all(np.diff(beats) > 0), (len(beats), n_cpp)
    excerpt = beats[40:80] - beats[40] + 123
    assert excerpt_of(excerpt, beats) == beats[40] - 123
    rng = np.random.default_rng(0)
    other = np.cumsum(rng.integers(380, 460, size=40))
    assert excerpt_of(other, beats) is None
    groups = [["m1", "m1-a", "m1-b"], ["m2"], ["x"], ["y"], ["z"]]
    folds = folds_of(groups, 2)
    assert sorted(sum(folds, [])) == sorted(sum(groups, [])) and any(set(groups[0]) <= set(f) for f in folds), folds
    if os.path.isdir(os.path.join(args.data, "adfecgdb")) and os.path.isdir(os.path.join(args.data, "challenge2013")):
        found = mother_groups(recordings(args.data))
        excerpts = sum(len(g) - 1 for g in found if g[0].startswith("adfecgdb_"))
        assert excerpts == 15, found  # ../shared/data/README.md: 15 set A records are ADFECGDB excerpts
        print(f"real_cv: smoke: {excerpts} Challenge excerpts matched to their ADFECGDB recordings", file=sys.stderr)
    else:
        print(f"real_cv: smoke: {args.data} absent; real-data grouping not checked", file=sys.stderr)
    print("real_cv: smoke ok", file=sys.stderr)


if __name__ == "__main__":
    main()
