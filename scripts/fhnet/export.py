"""Exports FHNet from one checkpoint (or a seeded random init) to every runtime's files:

    /usr/bin/python3 scripts/fhnet/export.py --random-init --seed 2026 [--out models]
    /usr/bin/python3 scripts/fhnet/export.py --checkpoint runs/fhnet/last.pt [--out models]

writes into --out:
  fhnet.onnx                   ONNX opset 17, dynamic batch and lead count; outputs fecg,
                               rpeak_prob, lead_attention (graph-attention coefficients) and
                               lead_weights (the R-peak head's pooling weights over the leads)
  fhnet.safetensors            weights for the C++ engine (src/model/fhnet.h), float32 LE
  fhnet_testvectors.safetensors reference inputs and torch outputs for K = 1, 3, 4, 8 (B = 2)
  fhnet.json                   the model card: sha256 of each file, names and shapes, rate,
                               window, normalisation, architecture, size, training, metrics

A checkpoint is a torch.save'd dict {"model": "fhnet", "config": FHNetConfig fields,
"state_dict": ..., "training": {...}, "metrics": {...}} (the training script writes it).

Safetensors (https://huggingface.co/docs/safetensors, format as of 0.4): 8-byte little-endian
header length N, N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]},
"__metadata__": {str: str}} padded with spaces to a multiple of 8, then the raw little-endian
tensor bytes; offsets are relative to the end of the header. Written here with numpy, so the
`safetensors` package is not needed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import struct
import sys
import tempfile
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flops as F  # noqa: E402
import model as M  # noqa: E402

OPSET = 17
TEST_LEADS = (1, 3, 4, 8)
TEST_BATCH = 2
TOLERANCE_ABS = 1e-4  # agreement every runtime must reach on the test vectors, normalised units
INPUT_NAMES = ["x"]
OUTPUT_NAMES = ["fecg", "rpeak_prob", "lead_attention", "lead_weights"]
CARD_FORMAT_VERSION = 1


def write_safetensors(path: str, tensors: dict, metadata: dict | None = None) -> None:
    """Writes float32 tensors (name -> numpy array) in the safetensors layout, names sorted."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path: str) -> tuple[dict, dict]:
    """Reads back what write_safetensors wrote (F32 only): (tensors, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, h in header.items():
        if h["dtype"] != "F32":
            raise ValueError(f"read_safetensors: {path}: tensor {name} has dtype {h['dtype']}, expected F32")
        b, e = h["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype="<f4").reshape(h["shape"])
    return out, meta


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def synthetic_window(rng: np.random.Generator, batch: int, leads: int, window: int = M.WINDOW) -> np.ndarray:
    """B × K × window of ECG-like mixtures, normalised like the core does: maternal beats
    (~80 bpm, wide), fetal beats (~140 bpm, narrow, 5-20 % of the maternal amplitude), baseline
    wander and white noise, per-lead random gains; then (x - median) / (1.4826 · MAD)."""
    t = np.arange(window) / M.FS_HZ
    x = np.zeros((batch, leads, window))
    for b in range(batch):
        for rate_bpm, width_s, amp, key in ((rng.uniform(70, 95), 0.025, 1.0, "m"), (rng.uniform(120, 160), 0.012, 1.0, "f")):
            period = 60.0 / rate_bpm
            beats = np.arange(rng.uniform(0, period), t[-1], period)
            pulse = sum(np.exp(-0.5 * ((t - tb) / width_s) ** 2) for tb in beats)
            gains = rng.normal(0, 1, leads) * (1.0 if key == "m" else rng.uniform(0.05, 0.2))
            x[b] += gains[:, None] * pulse[None, :]
        x[b] += 0.3 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t + rng.uniform(0, 6.3))[None, :] * rng.normal(0, 1, (leads, 1))
        x[b] += 0.05 * rng.normal(0, 1, (leads, window))
    med = np.median(x, axis=-1, keepdims=True)
    mad = np.median(np.abs(x - med), axis=-1, keepdims=True)
    return ((x - med) / np.maximum(1.4826 * mad, 1e-6)).astype(np.float32)


def randomize_norms(net: torch.nn.Module, gen: torch.Generator) -> None:
    """LayerNorm starts as weight 1, bias 0, and the R-peak head's lead score at 0 (a plain mean);
    a random init moves them (±10 %; the score to N(0, 0.3²)) so that the test vectors exercise
    them and a runtime that ignored or swapped them would fail."""
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, torch.nn.LayerNorm):
                mod.weight.add_(0.1 * torch.randn(mod.weight.shape, generator=gen))
                mod.bias.add_(0.1 * torch.randn(mod.bias.shape, generator=gen))
        if net.rpeak.lead_score is not None:
            net.rpeak.lead_score.weight.copy_(0.3 * torch.randn(net.rpeak.lead_score.weight.shape, generator=gen))
            net.rpeak.lead_score.bias.copy_(0.3 * torch.randn(net.rpeak.lead_score.bias.shape, generator=gen))


def load_model(args) -> tuple[torch.nn.Module, dict, dict]:
    """Returns (model in eval mode, training section of the card, metrics)."""
    if args.checkpoint:
        ckpt = torch.load(args.checkpoint, map_location="cpu")
        if ckpt.get("model", "fhnet") != "fhnet":
            raise SystemExit(f"export: {args.checkpoint} holds a '{ckpt.get('model')}' model; only fhnet is exported")
        net = M.FHNet(M.config_from_json(ckpt["config"]))
        M.load_weights(net, ckpt["state_dict"])
        training = dict(ckpt.get("training", {"recipe": f"checkpoint {os.path.basename(args.checkpoint)}"}))
        training["trained"] = True  # read by the engine (FhnetModel::trained) and the page
        metrics = ckpt.get("metrics", {})
    else:
        torch.manual_seed(args.seed)
        net = M.FHNet(M.FHNetConfig())
        randomize_norms(net, torch.Generator().manual_seed(args.seed + 1))
        training = {"recipe": f"untrained: random init, seed {args.seed}", "data": None, "trained": False}
        metrics = {}
    return net.eval(), training, metrics


def export_onnx(net: torch.nn.Module, path: str) -> None:
    wrapper = M.ExportWrapper(net).eval()
    dummy = torch.zeros(1, 4, net.cfg.window)
    dynamic = {"x": {0: "batch", 1: "leads"}, "fecg": {0: "batch", 1: "leads"}, "rpeak_prob": {0: "batch"},
               "lead_attention": {0: "batch", 3: "leads", 4: "leads"}, "lead_weights": {0: "batch", 2: "leads"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about the Python-side input checks
        torch.onnx.export(wrapper, (dummy,), path, opset_version=OPSET, input_names=INPUT_NAMES,
                          output_names=OUTPUT_NAMES, dynamic_axes=dynamic, do_constant_folding=True)
    try:
        import onnx
        onnx.checker.check_model(onnx.load(path))
    except ImportError:
        print("export: python onnx package absent, ONNX checker skipped", file=sys.stderr)


def export_all(net: torch.nn.Module, out_dir: str, seed: int, training: dict, metrics: dict, quiet: bool = False) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    cfg = net.cfg
    paths = {k: os.path.join(out_dir, v) for k, v in {
        "weights": "fhnet.safetensors", "onnx": "fhnet.onnx",
        "test_vectors": "fhnet_testvectors.safetensors", "card": "fhnet.json"}.items()}

    state = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    write_safetensors(paths["weights"], state, {"format": "pt", "model": "fhnet"})
    export_onnx(net, paths["onnx"])

    # Reference vectors from torch (the ground truth for both runtimes).
    rng = np.random.default_rng(seed + 2)
    vectors = {}
    wrapper = M.ExportWrapper(net).eval()
    with torch.no_grad():
        for k in TEST_LEADS:
            x = synthetic_window(rng, TEST_BATCH, k, cfg.window)
            fecg, prob, att, weights = wrapper(torch.from_numpy(x))
            vectors[f"k{k}.x"] = x
            vectors[f"k{k}.fecg"] = fecg.numpy()
            vectors[f"k{k}.rpeak_prob"] = prob.numpy()
            vectors[f"k{k}.lead_attention"] = att.numpy()
            vectors[f"k{k}.lead_weights"] = weights.numpy()
    write_safetensors(paths["test_vectors"], vectors, {
        "origin": "scripts/fhnet/export.py: synthetic_window inputs, outputs of torch " + torch.__version__,
        "leads": ",".join(map(str, TEST_LEADS)), "batch": str(TEST_BATCH), "tolerance_abs": str(TOLERANCE_ABS)})

    flop = F.count_flops(net, 4, cfg.window)
    tokens = cfg.tokens
    n_graph = cfg.n_blocks if cfg.use_graph else 0
    card = {
        "format_version": CARD_FORMAT_VERSION,
        "name": "fhnet",
        "description": "FHNet fetal ECG extractor (graph attention across leads + multi-scale transformer, "
                       "after arXiv 2509.19308): K abdominal leads in, fetal ECG per lead and fetal R-peak "
                       "probability out.",
        "files": {k: {"path": os.path.basename(p), "sha256": sha256_file(p), "bytes": os.path.getsize(p)}
                  for k, p in paths.items() if k != "card"},
        "sampling_rate_hz": M.FS_HZ,
        "window_samples": cfg.window,
        "leads": {"min": 1, "max": M.MAX_LEADS, "order": "any (equivariant; no lead embeddings)"},
        "normalisation": {
            "input": "per lead, robust: (x_uv - median) / max(1.4826 * MAD, 1 uV), src/dsp/normalize.h",
            "fecg_output": "same normalised units as the input lead: fecg_uv = fecg * scale_uv",
            "rpeak_prob": "probability 0..1 per sample"},
        "inputs": [{"name": "x", "dtype": "float32", "shape": ["batch", "leads", cfg.window]}],
        "outputs": [
            {"name": "fecg", "dtype": "float32", "shape": ["batch", "leads", cfg.window]},
            {"name": "rpeak_prob", "dtype": "float32", "shape": ["batch", cfg.window]},
            {"name": "lead_attention", "dtype": "float32", "shape": ["batch", n_graph, tokens, "leads", "leads"],
             "meaning": "graph-attention coefficients, mean over heads; row i: weights lead i gives each lead"},
            {"name": "lead_weights", "dtype": "float32", "shape": ["batch", tokens, "leads"],
             "meaning": "the R-peak head's pooling weight of each lead at each token (sums to 1 over the "
                        "leads; uniform when architecture.lead_pool is false): the leads' contributions "
                        "to the fetal beats"}],
        "architecture": dict(cfg.to_json(), model="fhnet", gelu="tanh", layer_norm_eps=M.LN_EPS,
                             upsample="nearest", tokens=tokens),
        "tensors": {k: list(v.shape) for k, v in sorted(state.items())},
        "parameters": M.parameter_count(net),
        "mflop_per_window": {"leads": 4, "value": round(flop["flops"] / 1e6, 2),
                             "convention": "2 FLOP per multiply-add plus element-wise ops (scripts/fhnet/flops.py)"},
        "onnx": {"opset": OPSET, "dynamic_axes": ["batch", "leads"]},
        "test_vectors": {"leads": list(TEST_LEADS), "batch": TEST_BATCH, "tolerance_abs": TOLERANCE_ABS},
        "training": training,
        "metrics": metrics,
        "exported_with": {"torch": torch.__version__, "numpy": np.__version__},
    }
    with open(paths["card"], "w") as f:
        json.dump(card, f, indent=1)
        f.write("\n")
    if not quiet:
        for k, p in paths.items():
            print(f"export: wrote {p} ({os.path.getsize(p):,} bytes)")
        print(f"export: {card['parameters']:,} parameters, {card['mflop_per_window']['value']} MFLOP per window at K = 4")
    return card


REAL_KEYS = ("n", "se", "ppv", "f1", "fhr_mae_bpm", "direct_corr")


def real_means(means: list, method: str) -> dict:
    return {m["dataset"]: {k: round(m[k], 4) for k in REAL_KEYS if not (k == "direct_corr" and m[k] < 0)}
            for m in means if m["method"] == method}


def evaluation_metrics(path: str, row: str = "fhnet", real_cv: str | None = None, unseen: bool = False) -> dict:
    """The product model's rows of scripts/fhnet/evaluate.py's evaluation.json, for the card. With
    real_cv (scripts/fhnet/real_cv.py's cv.json, for a model fine-tuned on the real recordings)
    the real-data figures are the cross-validated ones: each recording scored by a network
    fine-tuned without its mother. With unseen, they come from eval_reliability (unseen_metrics)."""
    with open(path) as f:
        ev = json.load(f)
    res = ev["results"]
    if row not in ev["info"]["models"]:
        raise SystemExit(f"export: {path} has no row named {row!r} (it has {sorted(ev['info']['models'])}); "
                         f"run scripts/fhnet/evaluate.py --model {row}=CHECKPOINT")
    real_note = ("real recordings: cross-validated by mother (scripts/fhnet/real_cv.py)" if real_cv else
                 "real recordings: the network's own on the mothers it never trained on, under real" if unseen else
                 "real records never seen: trained on simulation only")
    out = {"source": "scripts/fhnet/evaluate.py (same C++ pipeline and scores for every method; "
                     f"simulated test seeds >= 900000 never trained on; {real_note})",
           "model": ev["info"]["models"].get(row, {})}
    for set_name in ("sim-stat", "sim-nstdb"):
        rows = [r for r in res.get(set_name, []) if r["method"] == row]
        if rows:
            meta = res[set_name + ":meta"]
            out[set_name] = {"recordings_per_band": meta["per_band"], "seconds": meta["seconds"],
                             "noise": meta["noise"],
                             "by_snr_mn_db": {r["band"]: {k: round(r[k], 4) for k in ("r2", "rmse_norm", "f1", "fhr_mae_bpm")}
                                              for r in rows}}
    if real_cv:
        with open(real_cv) as f:
            cv = json.load(f)
        out["real"] = {"source": "scripts/fhnet/real_cv.py: every recording scored by a network fine-tuned without "
                                 f"its mother ({len(cv['folds'])} folds over {len(cv['mothers'])} mothers; the Challenge "
                                 "2013 excerpts of an ADFECGDB recording stay with it), through the C++ pipeline",
                       "recipe": cv["recipe"],
                       "network": real_means(cv["means"], "fhnet-real-cv"),
                       "in_candidate_pool": real_means(cv["means"], "fhnet-real-cv-pool")}
    elif "real" in res:
        out["real"] = real_means(res["real"]["means"], row)
    return out


POOR_REFERENCES = {"a33", "a38", "a47"}  # Challenge 2013 records with poor reference beats


def unseen_metrics(path: str, trained_on: list[str]) -> dict:
    """The network alone on the real recordings of mothers it was never trained on, from
    build/native/eval_reliability --json: rows of method "fhnet" whose recording is not in
    `trained_on` (the card's training.data.real.recordings, "<dataset>_<record>") nor shares a
    mother with one (the Challenge excerpts of ADFECGDB are all a01-a25) and has a good reference."""
    with open(path) as f:
        rows = [r for r in json.load(f)["records"] if r["method"] == "fhnet"]
    seen = set(trained_on)
    out = {}
    for dataset in sorted({r["dataset"] for r in rows}):
        kept = [r for r in rows if r["dataset"] == dataset and f"{dataset}_{r['record']}" not in seen
                and r["record"] not in POOR_REFERENCES]
        if dataset == "adfecgdb" and any(n.startswith("adfecgdb_") for n in seen):
            kept = []  # the excerpts of every ADFECGDB mother were trained on
        if kept:
            mae = [r["fhr_trace_mae_bpm"] for r in kept if r["fhr_trace_mae_bpm"] >= 0]
            out[dataset] = {"n": len(kept), "f1": round(float(np.mean([r["f1"] for r in kept])), 4),
                            "fhr_mae_bpm": round(float(np.mean(mae)), 4) if mae else None,
                            "records": sorted(r["record"] for r in kept)}
    return {"source": "build/native/eval_reliability --json (the C++ pipeline, --method fhnet --pool off): the "
                      "network alone on the recordings of mothers it was never trained on",
            "network": out}


def main() -> None:
    ap = argparse.ArgumentParser(description="Export FHNet to ONNX, safetensors, test vectors and a model card.")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a training checkpoint (.pt)")
    src.add_argument("--random-init", action="store_true", help="seeded random weights (until trained)")
    ap.add_argument("--seed", type=int, default=2026, help="random init and test-vector seed")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "models"))
    ap.add_argument("--note", default=None, help="a sentence about the training run, into the card's training")
    ap.add_argument("--evaluation", default=None,
                    help="evaluation.json of scripts/fhnet/evaluate.py: its FHNet rows go into the card's metrics")
    ap.add_argument("--real-cv", default=None,
                    help="cv.json of scripts/fhnet/real_cv.py: the card's real-data figures, for a model fine-tuned "
                         "on the real recordings (needs --evaluation)")
    ap.add_argument("--unseen", default=None,
                    help="eval_reliability --json output: the network alone on the recordings of mothers it was "
                         "never trained on become the card's real-data figures (instead of --real-cv)")
    args = ap.parse_args()
    if args.unseen and not args.evaluation:
        raise SystemExit("export: --unseen goes with --evaluation (the simulated figures)")
    if args.unseen and args.real_cv:
        raise SystemExit("export: --unseen or --real-cv, not both (two sources for the real-data figures)")
    if args.real_cv and not args.evaluation:
        raise SystemExit("export: --real-cv goes with --evaluation (the simulated figures)")
    torch.set_num_threads(2)  # the machine is shared
    net, training, metrics = load_model(args)
    if args.evaluation:
        metrics = {"validation": metrics,
                   "evaluation": evaluation_metrics(args.evaluation, real_cv=args.real_cv, unseen=bool(args.unseen))}
    if args.unseen:
        trained_on = training.get("data", {}).get("real", {}).get("recordings", [])
        metrics.setdefault("evaluation", {})["real"] = unseen_metrics(args.unseen, trained_on)
    if args.note:
        training = dict(training, note=args.note)
    export_all(net, os.path.normpath(args.out), args.seed, training, metrics)


if __name__ == "__main__":
    main()
