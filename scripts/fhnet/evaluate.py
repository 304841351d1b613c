"""The evaluation table: every method on the same data, through the same C++ pipeline.

    /usr/bin/python3 scripts/fhnet/evaluate.py                  # all rows found, ~10 min on 2 cores
    /usr/bin/python3 scripts/fhnet/evaluate.py --model fhnet=scripts/.cache/runs/fhnet/best.pt

Rows: the classical methods (TS, ICA, TS-ICA) and every trained network given by --model
NAME=CHECKPOINT (default: the product model scripts/.cache/runs/fhnet/best.pt as "FHNet" and the
equal-budget rows of scripts/fhnet/train_table.sh under scripts/.cache/runs/table/<model>/best.pt,
whichever exist). Networks run in PyTorch here, on the very windows the C++ pipeline would feed
our engine (build/native/eval_* --dump-windows), and their outputs are played back into the
pipeline (--engine-outputs, src/pipeline/fhnet_external.h), so blending, beat detection, heart
rate and every score are the same code for every row. --engine-check models runs the product model
on our C++ engine instead (or beside the PyTorch row, to show that both runtimes agree).

Data:
- simulated test set: eval_synthetic's seeds 900000 + 100·band + k (never used in training:
  train.py draws 1.. and 800001..), SNRmn bands 0/3/6/9/12 dB, statistical noise and, when
  ../shared/data/nstdb exists, real MIT-BIH NSTDB noise;
- real: ADFECGDB (5 × 300 s; scalp-electrode reference) and Challenge 2013 set A records with
  references, from ../shared/data when present. The table's networks are trained on simulation
  only, so their real-data figures are on unseen records. A model fine-tuned on these recordings
  (scripts/fhnet/real_cv.py --final) has seen them: its real-data figures come from real_cv.py's
  cross-validation by mother, and here it is run with --no-real.

Writes <out>/evaluation.json (every row) and <out>/evaluation.md (the README's tables).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402
from train import MODEL_ALIASES  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CACHE = os.path.join(REPO, "scripts", ".cache")
CLASSICAL = ["ts", "ica", "ts-ica"]
# Display names of the table's rows.
LABELS = {"ts": "TS", "ica": "ICA", "ts-ica": "TS-ICA", "fhnet": "FHNet", "fhnet-nograph": "FHNet w/o graph",
          "fhnet-single": "FHNet single-scale", "bilstm": "BiLSTM", "transformer": "Transformer",
          "fhnet-engine": "FHNet (our C++ engine)"}
TABLE_ROWS = ["fhnet", "fhnet-nograph", "fhnet-single", "bilstm", "transformer"]


def run(cmd: list[str], quiet: bool = True) -> None:
    print("evaluate: " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if quiet else None)


def default_models() -> list[tuple[str, str]]:
    found = []
    product = os.path.join(CACHE, "runs", "fhnet", "best.pt")
    if os.path.exists(product):
        found.append(("fhnet", product))
    for m in TABLE_ROWS:
        p = os.path.join(CACHE, "runs", "table", m, "best.pt")
        if os.path.exists(p):
            found.append((f"{m}@table", p))
    return found


def load_network(path: str) -> tuple[torch.nn.Module, dict]:
    ck = torch.load(path, map_location="cpu")
    name = MODEL_ALIASES.get(ck["model"])
    if name is None:
        raise SystemExit(f"evaluate: {path}: unknown model '{ck['model']}'")
    net = M.build_model(name)
    M.load_weights(net, ck["state_dict"])
    net.eval()
    return M.ExportWrapper(net), {"model": ck["model"], "step": ck["step"], "minutes": ck["elapsed_s"] / 60,
                                  "params": M.parameter_count(net)}


@torch.no_grad()
def run_network(net: torch.nn.Module, windows_root: str, out_root: str, batch: int = 32,
                keys: list[str] | None = None) -> tuple[int, float]:
    """Runs net on every <key>/x.npy under windows_root (or those of `keys`); writes
    <key>/{x,fecg,rpeak_prob}.npy under out_root. Returns (windows, seconds)."""
    n, t0 = 0, time.monotonic()
    for key in sorted(os.listdir(windows_root)) if keys is None else keys:
        x = np.load(os.path.join(windows_root, key, "x.npy"))
        fecg, prob = [], []
        for s in range(0, len(x), batch):
            f, p = net(torch.from_numpy(x[s:s + batch]))[:2]
            fecg.append(f.numpy())
            prob.append(p.numpy())
        d = os.path.join(out_root, key)
        os.makedirs(d, exist_ok=True)
        shutil.copyfile(os.path.join(windows_root, key, "x.npy"), os.path.join(d, "x.npy"))
        np.save(os.path.join(d, "fecg.npy"), np.concatenate(fecg).astype(np.float32))
        np.save(os.path.join(d, "rpeak_prob.npy"), np.clip(np.concatenate(prob), 0, 1).astype(np.float32))
        n += len(x)
    return n, time.monotonic() - t0


def markdown(results: dict, labels: list[str]) -> str:
    out = []
    for set_name, title in (("sim-stat", "Simulated test set, statistical noise"),
                            ("sim-nstdb", "Simulated test set, MIT-BIH NSTDB noise")):
        rows = [r for r in results.get(set_name, []) if r["method"] in labels]
        if not rows:
            continue
        bands = sorted({r["band"] for r in rows if r["band"] != "all"}, key=float) + ["all"]
        per = results[set_name + ":meta"]
        out.append(f"**{title}** ({per['per_band']} recordings × {per['seconds']:.0f} s per SNRmn band; "
                   "R² and RMSE of the fetal ECG on normalised amplitude / fetal QRS F1 / FHR MAE in bpm)\n")
        out.append("| method | " + " | ".join(f"{b} dB" if b != "all" else "all" for b in bands) + " |")
        out.append("|---" * (len(bands) + 1) + "|")
        for label in labels:
            cells = []
            for b in bands:
                r = next((r for r in rows if r["method"] == label and r["band"] == b), None)
                cells.append("–" if r is None else
                             f"{r['r2']:.3f} / {r['rmse_norm']:.3f} / {r['f1']:.3f} / {r['fhr_mae_bpm']:.2f}")
            if any(c != "–" for c in cells):
                out.append(f"| {LABELS.get(label.split('@')[0], label)}{' (equal budget)' if '@table' in label else ''} | "
                           + " | ".join(cells) + " |")
        out.append("")
    real = results.get("real")
    if real:
        for dataset, title, corr in (("adfecgdb", "ADFECGDB (5 records × 300 s, scalp reference)", True),
                                     ("challenge2013", "Challenge 2013 set A (records with reference)", False)):
            rows = [m for m in real["means"] if m["dataset"] == dataset and m["method"] in labels]
            if not rows:
                continue
            out.append(f"**{title}** (fetal QRS ±50 ms, FHR MAE bpm" + (", |r| with Direct_1" if corr else "") + ")\n")
            out.append("| method | n | Se | PPV | F1 | FHR MAE" + (" | r(Direct_1)" if corr else "") + " |")
            out.append("|---|---|---|---|---|---" + ("|---" if corr else "") + "|")
            for label in labels:
                m = next((m for m in rows if m["method"] == label), None)
                if m is None:
                    continue
                name = LABELS.get(label.split("@")[0], label) + (" (equal budget)" if "@table" in label else "")
                out.append(f"| {name} | {m['n']} | {m['se']:.3f} | {m['ppv']:.3f} | {m['f1']:.3f} | {m['fhr_mae_bpm']:.2f}"
                           + (f" | {m['direct_corr']:.3f}" if corr else "") + " |")
            out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", action="append", default=[], metavar="NAME=CHECKPOINT",
                    help="a trained network to evaluate (repeatable); 'none': no PyTorch rows; "
                         "default: the product and table runs found")
    ap.add_argument("--classical", default=",".join(CLASSICAL), help="classical methods ('' for none)")
    ap.add_argument("--per-band", type=int, default=6, help="simulated recordings per SNRmn band")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    ap.add_argument("--no-nstdb", action="store_true", help="skip the NSTDB-noise simulated set")
    ap.add_argument("--no-real", action="store_true",
                    help="skip the real recordings (for a model fine-tuned on them: see real_cv.py)")
    ap.add_argument("--engine-check", default=None, metavar="MODEL_DIR",
                    help="run our C++ engine on MODEL_DIR (e.g. models): the row 'fhnet', or 'fhnet-engine' "
                         "beside a PyTorch model named fhnet")
    ap.add_argument("--include", action="append", default=[], metavar="EVALUATION_JSON",
                    help="add the rows of an earlier run on the same sets (repeatable)")
    ap.add_argument("--out", default=os.path.join(CACHE, "eval"))
    ap.add_argument("--threads", type=int, default=1,
                    help="PyTorch threads (1: on a shared 2-core machine 2 threads were 10x slower)")
    ap.add_argument("--smoke", action="store_true",
                    help="CI: a random-init FHNet checkpoint and TS on 5 short recordings, checks the table")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.smoke:
        smoke(args)
        return

    build = os.path.join(REPO, "build", "native")
    es, ec = os.path.join(build, "eval_synthetic"), os.path.join(build, "eval_classical")
    for exe in (es, ec):
        if not os.path.exists(exe):
            raise SystemExit(f"evaluate: {exe} missing; run scripts/build.sh native")
    models = [tuple(m.split("=", 1)) for m in args.model if m != "none"] if args.model else default_models()
    classical = [m for m in args.classical.split(",") if m]
    nstdb = os.path.join(args.data, "nstdb")
    sets = [("sim-stat", [es, "--per-band", str(args.per_band), "--seconds", str(args.seconds)])]
    if not args.no_nstdb and os.path.isdir(nstdb):
        sets.append(("sim-nstdb", sets[0][1] + ["--nstdb", nstdb]))
    if not args.no_real and (os.path.isdir(os.path.join(args.data, "adfecgdb")) or
                             os.path.isdir(os.path.join(args.data, "challenge2013"))):
        sets.append(("real", [ec, args.data]))
    os.makedirs(args.out, exist_ok=True)

    results: dict = {}
    info: dict = {"models": {}, "sets": [s for s, _ in sets]}
    for set_name, base in sets:
        wdir = os.path.join(args.out, "windows", set_name)
        shutil.rmtree(wdir, ignore_errors=True)
        run(base + ["--dump-windows", wdir])
        jobs = []
        if classical or args.engine_check:
            methods = classical + (["fhnet"] if args.engine_check else [])
            jobs.append((True, base + ["--methods", ",".join(methods)]
                         + (["--model", args.engine_check] if args.engine_check else [])))
        for name, ckpt in models:
            net, meta = load_network(ckpt)
            odir = os.path.join(args.out, "outputs", name, set_name)
            shutil.rmtree(odir, ignore_errors=True)
            n, secs = run_network(net, wdir, odir)
            meta.update(checkpoint=os.path.relpath(ckpt, REPO))
            info["models"][name] = meta
            print(f"evaluate: {name} on {set_name}: {n} windows in {secs:.1f} s (PyTorch)", file=sys.stderr)
            jobs.append((False, base + ["--methods", "external", "--engine-outputs", odir, "--engine-name", name]))
        for i, (ours, cmd) in enumerate(jobs):
            jpath = os.path.join(args.out, f"{set_name}-{i}.json")
            run(cmd + ["--json", jpath])
            with open(jpath) as f:
                part = json.load(f)
            if ours and any(n == "fhnet" for n, _ in models):  # both runtimes: keep the rows apart
                for row in part.get("rows", []) + part.get("records", []) + part.get("means", []):
                    if row["method"] == "fhnet":
                        row["method"] = "fhnet-engine"
            if set_name == "real":
                r = results.setdefault("real", {"records": [], "means": []})
                r["records"] += part["records"]
                r["means"] += part["means"]
            else:
                results.setdefault(set_name, []).extend(part["rows"])
                results[set_name + ":meta"] = {"per_band": part["per_band"], "seconds": part["seconds"],
                                               "noise": part["noise"]}
    for path in args.include:  # rows of earlier runs on the same sets (e.g. the classical rows)
        with open(path) as f:
            prev = json.load(f)
        for key, value in prev["results"].items():
            if key.endswith(":meta"):
                results.setdefault(key, value)
            elif key == "real":
                r = results.setdefault("real", {"records": [], "means": []})
                r["records"] += value["records"]
                r["means"] += value["means"]
            else:
                results.setdefault(key, []).extend(value)
        info["models"].update(prev["info"]["models"])
        if any(m["method"] == "fhnet" for rows in prev["results"].values() if isinstance(rows, list) for m in rows):
            args.engine_check = args.engine_check or "(included)"
        classical += [m for m in CLASSICAL if m not in classical and any(
            r["method"] == m for rows in prev["results"].values() if isinstance(rows, list) for r in rows)]
    torch_fhnet = any(n == "fhnet" for n, _ in models)
    labels = (["fhnet"] if torch_fhnet or args.engine_check else []) + \
             (["fhnet-engine"] if torch_fhnet and args.engine_check else []) + \
             [f"{m}@table" for m in TABLE_ROWS if f"{m}@table" in info["models"]] + classical
    table = markdown(results, labels)
    with open(os.path.join(args.out, "evaluation.json"), "w") as f:
        json.dump({"info": info, "results": results}, f, indent=1)
    with open(os.path.join(args.out, "evaluation.md"), "w") as f:
        f.write(table + "\n")
    print(table)


def smoke(args) -> None:
    """The whole evaluation path on a seeded random-init network: windows dumped by the C++
    tools, PyTorch outputs played back, JSON rows collected, the markdown table written."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        net = M.build_model("fhnet")
        ckpt = os.path.join(tmp, "random.pt")
        torch.save({"model": "fhnet", "state_dict": net.state_dict(), "step": 0, "elapsed_s": 0.0}, ckpt)
        out = os.path.join(tmp, "eval")
        cmd = [sys.executable, os.path.abspath(__file__), "--model", f"fhnet={ckpt}", "--classical", "ts",
               "--per-band", "1", "--seconds", "12", "--no-nstdb", "--data", os.path.join(tmp, "none"),
               "--out", out, "--threads", str(args.threads)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "evaluation.json")) as f:
            rows = json.load(f)["results"]["sim-stat"]
        methods = {r["method"] for r in rows}
        assert methods == {"fhnet", "ts"}, f"evaluate smoke: rows for {methods}"
        assert len(rows) == 12 and all(math.isfinite(r["f1"]) and 0 <= r["f1"] <= 1 for r in rows), rows
        with open(os.path.join(out, "evaluation.md")) as f:
            table = f.read()
        assert "| FHNet |" in table and "| TS |" in table, table
    print("evaluate: smoke ok", file=sys.stderr)


if __name__ == "__main__":
    main()
