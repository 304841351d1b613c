"""Trains FHNet (or a baseline) from scratch on simulated data, reproducibly, resumably:

    /usr/bin/python3 scripts/fhnet/train.py                       # fhnet, 4000 steps, ~30-60 min on 2 cores
    /usr/bin/python3 scripts/fhnet/train.py --model bilstm        # the table's other rows:
        fhnet | fhnet-nograph | fhnet-single | bilstm | transformer
    /usr/bin/python3 scripts/fhnet/train.py --smoke               # CI: tiny data, a few steps, < 60 s
    /usr/bin/python3 scripts/fhnet/train.py --init A.pt --run-dir B   # fine-tune A's weights (new
        optimiser and schedule), e.g. on data drawn with other --maternal-bpm / --fetal-bpm ranges
    /usr/bin/python3 scripts/fhnet/train.py --init A.pt --real DIR --real-exclude a01,r04 ...
        # fine-tune on real annotated recordings as well (scripts/fhnet/real_cv.py drives it)
    /usr/bin/python3 scripts/fhnet/export.py --checkpoint scripts/.cache/runs/fhnet/best.pt

Data: `fecg dataset` (src/cli/dataset.cpp) writes windows cut and normalised by the same core
code the pipeline runs at inference; made once into scripts/.cache/data/{train,val} if missing
(training seeds 1.., validation seeds 800001..; the simulated test set uses seeds >= 900000 and
is never touched here). The executable is build/native/fecg (built with scripts/build.sh native
when absent) or --fecg PATH.

Training: AdamW, linear warm-up then cosine decay over --steps; batches of windows that share
a lead count (no compute spent on padding); augmentation by polarity flips and, for a quarter of
the batches, a random subset of the leads (so 1-lead inputs are seen too). Loss (model.fhnet_loss):
MSE of the fetal ECG in normalised units over real leads + r_weight × BCE of the R-peak logits,
positives weighted (R-peak samples are ~4 % of all).

Real recordings (--real DIR): DIR/<name>/{x,rpeak}.npy as `fecg windows <record> --ref FILE`
writes them (windows cut and normalised by the pipeline's own code, the R-peak target of `fecg
dataset` at the reference beats). They have no fetal-ECG target, so each step adds to the
simulated batch's loss --real-weight × the R-peak BCE of a batch of real windows (same
augmentation); --real-exclude leaves named recordings out (cross-validation).

Checkpoints (git-ignored run directory, default scripts/.cache/runs/<model>): last.pt every
--checkpoint-min minutes and at the end (model, optimiser, step, data-sampler and every RNG state,
elapsed time), best.pt at the best validation loss (export.py reads either), log.jsonl. Running
the same command again resumes from last.pt; --fresh starts over. --time-budget-min bounds the
cumulative training time across resumes: when it runs out, the run checkpoints and stops.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

# On a shared machine OpenMP threads that spin at barriers while another process holds a core
# made steps up to 10x slower (measured: 0.65 s -> 4.9 s per step with 2 threads under load);
# passive waiting yields the core instead. Must be set before torch starts its thread pool.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CACHE = os.path.join(REPO, "scripts", ".cache")
# Table names -> model.MODELS keys.
MODEL_ALIASES = {"fhnet": "fhnet", "fhnet-nograph": "fhnet-no-graph", "fhnet-no-graph": "fhnet-no-graph",
                 "fhnet-single": "fhnet-single-scale", "fhnet-single-scale": "fhnet-single-scale",
                 "bilstm": "bilstm", "transformer": "transformer"}
VAL_FIRST_SEED = 800001       # validation recordings: training range, disjoint from the training seeds
TEST_FIRST_SEED = 900000      # src/pipeline/fhnet_dataset.h kFhnetTestSeedStart: never trained on


# ------------------------------------------------------------------------------------------ data

def find_fecg(path: str | None) -> str:
    if path:
        return path
    for preset in ("native", "dev"):
        exe = os.path.join(REPO, "build", preset, "fecg")
        if os.path.exists(exe):
            return exe
    print("train: build/native/fecg missing; building it (scripts/build.sh native)", file=sys.stderr)
    subprocess.run(["bash", os.path.join(REPO, "scripts", "build.sh"), "native"], check=True)
    return os.path.join(REPO, "build", "native", "fecg")


def make_dataset(fecg: str, out: str, records: int, first_seed: int, seconds: float, extra: list[str]) -> None:
    """Runs `fecg dataset` into out/ unless a manifest with the same request is already there."""
    request = {"records": records, "first_seed": first_seed, "seconds": seconds, "extra": extra}
    stamp = os.path.join(out, "request.json")
    if os.path.exists(os.path.join(out, "manifest.json")) and os.path.exists(stamp):
        with open(stamp) as f:
            if json.load(f) == request:
                return
    tmp = out + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [fecg, "dataset", "--out", tmp, "--records", str(records), "--first-seed", str(first_seed),
           "--seconds", str(seconds), "--quiet"] + extra
    print("train: " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)
    with open(os.path.join(tmp, "request.json"), "w") as f:
        json.dump(request, f)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)  # a dataset dir exists only complete


class Windows:
    """A `fecg dataset` directory in memory, windows grouped by lead count."""

    def __init__(self, directory: str):
        with open(os.path.join(directory, "manifest.json")) as f:
            self.manifest = json.load(f)
        load = lambda name: np.load(os.path.join(directory, name))  # noqa: E731
        self.x, self.y, self.r = load("x.npy"), load("fecg.npy"), load("rpeak.npy")
        self.mask = load("mask.npy").astype(bool)
        self.snr_mn_db = load("snr_mn_db.npy")
        self.leads = self.mask.sum(axis=1)
        if not (self.mask[np.arange(len(self.mask)), np.maximum(self.leads - 1, 0)]).all():
            raise ValueError(f"train: {directory}: real leads must come first in every window")
        self.buckets = {int(k): np.flatnonzero(self.leads == k) for k in np.unique(self.leads)}

    def __len__(self) -> int:
        return len(self.x)

    def batch(self, idx: np.ndarray, k: int):
        return (torch.from_numpy(self.x[idx, :k]), torch.from_numpy(self.y[idx, :k]),
                torch.from_numpy(self.r[idx]))


class RealWindows:
    """Annotated real recordings (`fecg windows --ref`): DIR/<name>/x.npy (windows × K × 1024) and
    rpeak.npy (windows × 1024), every folder not excluded, windows grouped by lead count."""

    def __init__(self, directory: str, exclude: list[str]):
        names = sorted(n for n in os.listdir(directory) if os.path.exists(os.path.join(directory, n, "rpeak.npy")))
        unknown = sorted(set(exclude) - set(names))
        if unknown:
            raise SystemExit(f"train: --real-exclude names recordings not in {directory}: {', '.join(unknown)}")
        self.names = [n for n in names if n not in exclude]
        if not self.names:
            raise SystemExit(f"train: no annotated recording left in {directory} (fecg windows --ref writes them)")
        by_k: dict = {}
        for n in self.names:
            x = np.load(os.path.join(directory, n, "x.npy"))
            r = np.load(os.path.join(directory, n, "rpeak.npy"))
            if x.ndim != 3 or r.shape != (x.shape[0], x.shape[2]) or not (1 <= x.shape[1] <= M.MAX_LEADS):
                raise SystemExit(f"train: {directory}/{n}: x.npy {x.shape} and rpeak.npy {r.shape} do not match")
            xs, rs = by_k.setdefault(x.shape[1], ([], []))
            xs.append(x)
            rs.append(r)
        self.x = {k: np.concatenate(v[0]) for k, v in by_k.items()}
        self.r = {k: np.concatenate(v[1]) for k, v in by_k.items()}
        self.buckets = {k: np.arange(len(v)) for k, v in self.x.items()}

    def __len__(self) -> int:
        return sum(len(v) for v in self.x.values())

    def batch(self, idx: np.ndarray, k: int):
        return torch.from_numpy(self.x[k][idx]), torch.from_numpy(self.r[k][idx])


class Sampler:
    """Batches of windows with one lead count: the bucket drawn in proportion to its size, the
    windows without replacement within a bucket's epoch. Its state is a plain dict (checkpoint)."""

    def __init__(self, data: Windows, batch: int, seed: int):
        self.data, self.batch_size = data, batch
        self.rng = np.random.default_rng(seed)
        self.queues = {k: np.zeros(0, dtype=np.int64) for k in data.buckets}

    def next(self):
        ks = sorted(self.data.buckets)
        sizes = np.array([len(self.data.buckets[k]) for k in ks], dtype=np.float64)
        k = ks[int(self.rng.choice(len(ks), p=sizes / sizes.sum()))]
        q = self.queues[k]
        if len(q) < self.batch_size:
            q = np.concatenate([q, self.rng.permutation(self.data.buckets[k])])
        idx, self.queues[k] = np.sort(q[:self.batch_size]), q[self.batch_size:]
        return idx, k

    def state(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "queues": {int(k): v.tolist() for k, v in self.queues.items()}}

    def load(self, s: dict) -> None:
        self.rng.bit_generator.state = s["rng"]
        self.queues = {int(k): np.array(v, dtype=np.int64) for k, v in s["queues"].items()}


def corrupt_one_lead(x, rng: np.random.Generator, probability: float):
    """Lead corruption: in a share `probability` of the windows (with at least 2 leads) one lead,
    drawn at random, gets Gaussian noise of 1-4 times its own robust scale (the inputs are
    normalised to about 1 per lead), while the target keeps its clean fetal ECG. The network can
    only recover that lead's fetal ECG, and the beats, from the other leads, so it learns to tell
    leads apart by quality rather than to weigh them all alike (issue 12: lead contributions that
    follow each lead's fetal SNR)."""
    b, k, t = x.shape
    if probability <= 0 or k < 2:
        return x
    hit = np.flatnonzero(rng.random(b) < probability)
    if hit.size == 0:
        return x
    x = x.clone()
    leads = rng.integers(0, k, size=hit.size)
    scale = np.exp(rng.uniform(np.log(1.0), np.log(4.0), size=hit.size)).astype(np.float32)
    noise = rng.standard_normal((hit.size, t)).astype(np.float32) * scale[:, None]
    x[torch.from_numpy(hit), torch.from_numpy(leads)] += torch.from_numpy(noise)
    return x


def augment(x, y, rng: np.random.Generator, subset_probability: float = 0.25, lead_noise: float = 0.0):
    """Polarity flip per window (ECG leads have either sign; normalisation commutes with it), for
    some batches a random subset of the leads, in random order, and with lead_noise > 0 one lead
    corrupted in that share of the windows (corrupt_one_lead). y (the fetal target) may be None
    (real recordings)."""
    sign = torch.from_numpy(rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(x.shape[0], 1, 1)))
    x, y = x * sign, None if y is None else y * sign
    x = corrupt_one_lead(x, rng, lead_noise)
    k = x.shape[1]
    if k > 1 and rng.random() < subset_probability:
        keep = torch.from_numpy(rng.permutation(k)[: int(rng.integers(1, k))])
        x, y = x[:, keep], None if y is None else y[:, keep]
    return x, y


# --------------------------------------------------------------------------------- train / eval

def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * progress)))


@torch.no_grad()
def evaluate(net, data: Windows, device, args, limit: int | None = None) -> dict:
    """Loss parts and R² of the fetal ECG (normalised units, real leads) on the validation set."""
    net.eval()
    sse = sst = bce_sum = 0.0
    n_windows = n_values = 0
    loss_sum = 0.0
    for k, idx_all in sorted(data.buckets.items()):
        idx_all = idx_all[:limit] if limit else idx_all
        for s in range(0, len(idx_all), args.batch * 2):
            idx = idx_all[s:s + args.batch * 2]
            x, y, r = (t.to(device) for t in data.batch(idx, k))
            out = net(x)
            loss, parts = M.fhnet_loss(out, y, r, None, r_weight=args.r_weight, pos_weight=args.pos_weight)
            sse += float(((out[0] - y) ** 2).sum())
            sst += float((y ** 2).sum())
            n_values += y.numel()
            bce_sum += parts["bce"] * len(idx)
            loss_sum += float(loss) * len(idx)
            n_windows += len(idx)
    net.train()
    return {"val_loss": loss_sum / n_windows, "val_bce": bce_sum / n_windows,
            "val_rmse": math.sqrt(sse / max(1, n_values)),
            "val_r2": 1.0 - sse / max(sst, 1e-12), "val_nmse": sse / max(sst, 1e-12), "val_windows": n_windows}


def save_atomic(obj, path: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    os.close(fd)
    torch.save(obj, tmp)
    os.replace(tmp, path)  # an interrupted save never leaves a truncated checkpoint


def rng_states(np_rng: np.random.Generator) -> dict:
    s = {"torch": torch.get_rng_state(), "numpy": np_rng.bit_generator.state, "python": random.getstate()}
    if torch.cuda.is_available():
        s["cuda"] = torch.cuda.get_rng_state_all()
    return s


def set_rng_states(s: dict, np_rng: np.random.Generator) -> None:
    torch.set_rng_state(s["torch"])
    np_rng.bit_generator.state = s["numpy"]
    random.setstate(s["python"])
    if "cuda" in s and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(s["cuda"])


def load_init(path: str, device) -> dict:
    """A training checkpoint (.pt), or an exported model folder (fhnet.json + fhnet.safetensors, as
    in models/): the shipped weights are then the starting point of a fine-tune."""
    if not os.path.isdir(path):
        return torch.load(path, map_location=device)
    from export import read_safetensors  # the reader of what export.py wrote
    with open(os.path.join(path, "fhnet.json")) as f:
        card = json.load(f)
    tensors, _ = read_safetensors(os.path.join(path, card["files"]["weights"]["path"]))
    return {"model": "fhnet", "step": card.get("metrics", {}).get("validation", {}).get("step", 0),
            "config": card["architecture"],
            "state_dict": {k: torch.from_numpy(v.copy()) for k, v in tensors.items()},
            "training": card.get("training", {})}


def train(args) -> dict:
    name = MODEL_ALIASES.get(args.model)
    if name is None:
        raise SystemExit(f"train: unknown --model {args.model}; expected one of {sorted(MODEL_ALIASES)}")
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    fecg = find_fecg(args.fecg)
    data_dir = args.data or os.path.join(CACHE, "data")
    extra = [] if args.nstdb is None else ["--nstdb", args.nstdb]
    extra += ["--maternal-bpm", args.maternal_bpm, "--fetal-bpm", args.fetal_bpm,
              "--snr-fm", args.snr_fm, "--snr-mn", args.snr_mn, "--maternal-qrs", args.maternal_qrs]
    make_dataset(fecg, os.path.join(data_dir, "train"), args.records, 1, args.seconds, extra)
    make_dataset(fecg, os.path.join(data_dir, "val"), args.val_records, VAL_FIRST_SEED, args.seconds, extra)
    train_set, val_set = Windows(os.path.join(data_dir, "train")), Windows(os.path.join(data_dir, "val"))
    exclude = [n for n in args.real_exclude.split(",") if n]
    real_set = RealWindows(args.real, exclude) if args.real else None

    run_dir = args.run_dir or os.path.join(CACHE, "runs", args.model)
    if args.fresh:
        shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir, exist_ok=True)
    net = M.build_model(name).to(device)
    only = [p for p in args.train_only.split(",") if p]
    if only:  # the rest stays as --init left it
        for n, p in net.named_parameters():
            p.requires_grad_(any(n.startswith(prefix) for prefix in only))
        if not any(p.requires_grad for p in net.parameters()):
            raise SystemExit(f"train: --train-only {args.train_only} names no parameter of {args.model}")
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=args.lr,
                            weight_decay=args.weight_decay)
    sampler = Sampler(train_set, args.batch, args.seed + 1)
    real_sampler = Sampler(real_set, args.batch, args.seed + 3) if real_set else None
    aug_rng = np.random.default_rng(args.seed + 2)
    step, elapsed_s, best = 0, 0.0, float("inf")
    history = []
    init = None
    if args.init:
        ck = load_init(args.init, device)
        if ck["model"] != args.model:
            raise SystemExit(f"train: --init {args.init} holds a {ck['model']} model, not {args.model}")
        missing = M.load_weights(net, ck["state_dict"])
        if missing:
            print(f"train: --init {args.init} has no {', '.join(missing)}: starts as a plain lead mean",
                  file=sys.stderr)
        init = {"checkpoint": os.path.basename(args.init), "step": ck["step"],
                "recipe": ck.get("training", {}).get("recipe", ""),
                "data": ck.get("training", {}).get("data", {})}
    last_path = os.path.join(run_dir, "last.pt")
    if os.path.exists(last_path):
        ck = torch.load(last_path, map_location=device)
        if ck["model"] != args.model or ck["args"]["seed"] != args.seed:
            raise SystemExit(f"train: {last_path} is a different run ({ck['model']}, seed {ck['args']['seed']}); "
                             "pass --fresh or another --run-dir")
        net.load_state_dict(ck["state_dict"])
        opt.load_state_dict(ck["optimizer"])
        sampler.load(ck["sampler"])
        if real_sampler:
            real_sampler.load(ck["real_sampler"])
        set_rng_states(ck["rng"], aug_rng)
        step, elapsed_s, best, history = ck["step"], ck["elapsed_s"], ck["best_val_loss"], ck["history"]
        print(f"train: resumed {last_path} at step {step} ({elapsed_s / 60:.1f} min trained)", file=sys.stderr)
    recipe = (f"scripts/fhnet/train.py --model {args.model} --seed {args.seed} --steps {args.steps}"
              f" --batch {args.batch} --lr {args.lr} --warmup {args.warmup}"
              f" --maternal-bpm {args.maternal_bpm} --fetal-bpm {args.fetal_bpm}"
              f" --snr-fm={args.snr_fm} --snr-mn {args.snr_mn} --maternal-qrs {args.maternal_qrs}"
              + (f" --lead-noise {args.lead_noise}" if args.lead_noise > 0 else "")
              + (f" --train-only {args.train_only}" if only else "")
              + (f" --lead-snr-weight {args.lead_snr_weight} --lead-snr-temp {args.lead_snr_temp}"
                 if args.lead_snr_weight > 0 else "")
              + (f" --relative-weight {args.relative_weight}" if args.relative_weight > 0 else ""))
    if init:
        recipe += f" --init {init['checkpoint']}"
    if real_set:
        recipe += f" --real {os.path.basename(os.path.normpath(args.real))} --real-weight {args.real_weight}" + \
                  (f" --real-exclude {','.join(exclude)}" if exclude else "")
    real_data = {"real": {"recordings": real_set.names, "excluded": exclude, "windows": len(real_set),
                          "weight": args.real_weight}} if real_set else {}

    def checkpoint(path: str, metrics: dict) -> None:
        cfg = getattr(net, "cfg", None)
        save_atomic({
            "model": args.model, "config": cfg.to_json() if cfg is not None else {},
            "state_dict": net.state_dict(), "optimizer": opt.state_dict(), "sampler": sampler.state(),
            **({"real_sampler": real_sampler.state()} if real_sampler else {}),
            "rng": rng_states(aug_rng), "step": step, "elapsed_s": elapsed_s, "best_val_loss": best,
            "history": history, "args": vars(args),
            "training": {"recipe": f"{recipe}; step {step}, {elapsed_s / 60:.1f} min on {device}",
                         **({"init": init} if init else {}),
                         "data": {"train": train_set.manifest["parameters"] | {
                             "records": train_set.manifest["records"], "first_seed": 1,
                             "windows": len(train_set), "noise": train_set.manifest["noise"]},
                             "val": {"records": val_set.manifest["records"], "first_seed": VAL_FIRST_SEED,
                                     "windows": len(val_set)}} | real_data},
            "metrics": metrics,
        }, path)

    net.train()
    started = time.monotonic()
    last_save = started
    budget_s = args.time_budget_min * 60.0
    log = open(os.path.join(run_dir, "log.jsonl"), "a")
    metrics = history[-1] if history else {}
    stopped_by_budget = False
    while step < args.steps:
        now = time.monotonic()
        if elapsed_s + (now - started) >= budget_s:
            stopped_by_budget = True
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        idx, k = sampler.next()
        x, y, r = train_set.batch(idx, k)
        x, y = augment(x, y, aug_rng, lead_noise=args.lead_noise)
        x, y, r = x.to(device), y.to(device), r.to(device)
        outputs = net(x)
        loss, parts = M.fhnet_loss(outputs, y, r, None, r_weight=args.r_weight, pos_weight=args.pos_weight)
        if args.relative_weight > 0:
            relative = M.relative_fecg_loss(outputs[0], y)
            loss = loss + args.relative_weight * relative
            parts["relative"] = float(relative)
        if args.lead_snr_weight > 0:
            lead_snr = M.lead_snr_loss(outputs[3], x, y, args.lead_snr_temp)
            loss = loss + args.lead_snr_weight * lead_snr
            parts["lead_snr"] = float(lead_snr)
        if real_sampler:
            ridx, rk = real_sampler.next()
            rx, rr = real_set.batch(ridx, rk)
            rx, _ = augment(rx, None, aug_rng, lead_noise=args.lead_noise)
            rx, rr = rx.to(device), rr.to(device)
            real_bce = M.rpeak_bce(net(rx)[1], rr, args.pos_weight)
            loss = loss + args.real_weight * real_bce
            parts["real_bce"] = float(real_bce)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), args.clip)
        opt.step()
        step += 1
        if not math.isfinite(float(loss)):
            raise SystemExit(f"train: loss is {float(loss)} at step {step}; lower --lr")
        if step % args.log_every == 0:
            print(f"train: step {step}/{args.steps} loss {float(loss):.4f} mse {parts['mse']:.4f} "
                  f"bce {parts['bce']:.4f}" + (f" real bce {parts['real_bce']:.4f}" if real_sampler else "")
                  + (f" lead snr {parts['lead_snr']:.4f}" if "lead_snr" in parts else "")
                  + (f" rel {parts['relative']:.4f}" if "relative" in parts else "") + " ("
                  f"{(elapsed_s + time.monotonic() - started) / 60:.1f} min)", file=sys.stderr)
        if step % args.eval_every == 0 or step == args.steps:
            metrics = evaluate(net, val_set, device, args, limit=args.val_limit)
            metrics.update(step=step, train_loss=float(loss), minutes=(elapsed_s + time.monotonic() - started) / 60)
            history.append(metrics)
            log.write(json.dumps(metrics) + "\n")
            log.flush()
            print(f"train: step {step} val loss {metrics['val_loss']:.4f} R2 {metrics['val_r2']:.4f} "
                  f"bce {metrics['val_bce']:.4f}", file=sys.stderr)
            if metrics["val_loss"] < best:
                best = metrics["val_loss"]
                elapsed_s += time.monotonic() - started
                started = time.monotonic()
                checkpoint(os.path.join(run_dir, "best.pt"), metrics)
        if time.monotonic() - last_save >= args.checkpoint_min * 60.0:
            elapsed_s += time.monotonic() - started
            started = time.monotonic()
            checkpoint(last_path, metrics)
            last_save = time.monotonic()
    elapsed_s += time.monotonic() - started
    started = time.monotonic()
    checkpoint(last_path, metrics)
    log.close()
    state = "stopped by --time-budget-min" if stopped_by_budget else "done"
    print(f"train: {state} at step {step}/{args.steps}, {elapsed_s / 60:.1f} min; best val loss {best:.4f}; "
          f"checkpoints in {run_dir}", file=sys.stderr)
    return {"step": step, "elapsed_s": elapsed_s, "best_val_loss": best, "history": history, "run_dir": run_dir}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="Train FHNet or a baseline on simulated data (resumable).")
    ap.add_argument("--model", default="fhnet", help="fhnet | fhnet-nograph | fhnet-single | bilstm | transformer")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--steps", type=int, default=4000, help="optimiser steps (the LR schedule spans them)")
    ap.add_argument("--batch", type=int, default=16, help="windows per step")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--clip", type=float, default=1.0, help="gradient-norm clip")
    ap.add_argument("--lead-noise", type=float, default=0.0,
                    help="share of windows in which one lead is corrupted by noise (corrupt_one_lead)")
    ap.add_argument("--r-weight", type=float, default=0.5, help="weight of the R-peak BCE in the loss")
    ap.add_argument("--pos-weight", type=float, default=5.0, help="BCE weight of R-peak (positive) targets")
    ap.add_argument("--time-budget-min", type=float, default=95.0, help="cumulative training minutes, all resumes")
    ap.add_argument("--checkpoint-min", type=float, default=3.0)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--val-limit", type=int, default=None, help="validation windows per lead count (default all)")
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--device", default="auto", help="auto (cuda when available), cpu, cuda")
    ap.add_argument("--threads", type=int, default=2,
                    help="torch CPU threads (2 on the 2-core machine; 1 is as fast when other work shares it)")
    ap.add_argument("--records", type=int, default=1500, help="training recordings (30 s: 14 windows each)")
    ap.add_argument("--val-records", type=int, default=60)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--maternal-bpm", default="55-130", help="maternal mean rates drawn from A-B (fecg dataset)")
    ap.add_argument("--fetal-bpm", default="100-180", help="fetal mean rates drawn from A-B (fecg dataset)")
    ap.add_argument("--snr-fm", default="-18..-4", help="fetal-to-maternal ratio, dB: A..B drawn, or fixed (fecg dataset); "
                    "write --snr-fm=-20..-6 (a value starting with '-')")
    ap.add_argument("--snr-mn", default="0..24", help="maternal-to-noise ratio, dB: A..B drawn, or fixed (fecg dataset)")
    ap.add_argument("--maternal-qrs", default="0.35-1", help="maternal Q/R/S width factors drawn from A-B (fecg dataset)")
    ap.add_argument("--init", default=None,
                    help="start from this checkpoint's weights, or an exported model folder such as models/ "
                         "(fine-tuning; new optimiser)")
    ap.add_argument("--real", default=None, metavar="DIR",
                    help="also learn the R-peak head's task on annotated real recordings: DIR/<name>/ as "
                         "`fecg windows <record> --ref FILE --out DIR/<name>` writes them")
    ap.add_argument("--relative-weight", type=float, default=0.0,
                    help="weight of model.relative_fecg_loss (1 - R² per lead) next to the plain MSE")
    ap.add_argument("--lead-snr-weight", type=float, default=0.0,
                    help="weight of the loss that teaches the R-peak head's lead weights each lead's fetal SNR "
                         "(model.lead_snr_loss; simulated windows)")
    ap.add_argument("--lead-snr-temp", type=float, default=4.0, help="dB per unit of the SNR softmax's logit")
    ap.add_argument("--train-only", default="", metavar="PREFIX,...",
                    help="train only the parameters whose names start with these prefixes (e.g. rpeak.); "
                         "the rest keep --init's values")
    ap.add_argument("--real-exclude", default="", metavar="A,B", help="recordings of --real to leave out")
    ap.add_argument("--real-weight", type=float, default=1.0, help="weight of the real windows' R-peak BCE")
    ap.add_argument("--nstdb", default=None, help="passed to fecg dataset (default: its own choice)")
    ap.add_argument("--data", default=None, help="dataset directory (default scripts/.cache/data)")
    ap.add_argument("--run-dir", default=None, help="checkpoints (default scripts/.cache/runs/<model>)")
    ap.add_argument("--fecg", default=None, help="the fecg executable (default build/native/fecg)")
    ap.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint and start over")
    ap.add_argument("--smoke", action="store_true", help="CI: tiny data, a few steps, a resume, < 60 s")
    return ap.parse_args(argv)


def smoke(args) -> None:
    """A few steps on tiny data in a temporary directory; then the same run interrupted after two
    steps and resumed from its checkpoint must end with exactly the same weights."""
    with tempfile.TemporaryDirectory() as tmp:
        common = ["--model", args.model, "--records", "3", "--val-records", "1", "--seconds", "8", "--batch", "4",
                  "--eval-every", "2", "--log-every", "1000", "--warmup", "2", "--nstdb", "none",
                  "--data", os.path.join(tmp, "data")] + (["--fecg", args.fecg] if args.fecg else [])
        a = train(parse_args(common + ["--steps", "4", "--run-dir", os.path.join(tmp, "a")]))
        assert a["step"] == 4 and a["history"], "smoke: the run did not reach 4 steps with validation"
        assert all(math.isfinite(h["val_loss"]) for h in a["history"]), "smoke: non-finite validation loss"
        # Interrupted (the schedule's warm-up is 2 steps, so steps 0-1 have the same LR either way)...
        train(parse_args(common + ["--steps", "2", "--run-dir", os.path.join(tmp, "b")]))
        # ...and resumed to 4 steps by the same command.
        b = train(parse_args(common + ["--steps", "4", "--run-dir", os.path.join(tmp, "b")]))
        assert b["step"] == 4
        ref = torch.load(os.path.join(tmp, "a", "last.pt"))
        got = torch.load(os.path.join(tmp, "b", "last.pt"))
        for key, v in ref["state_dict"].items():
            assert torch.equal(v, got["state_dict"][key]), f"smoke: resumed run differs in {key}"
        # Annotated "real" windows (`fecg windows --ref`, here of a simulated recording): the
        # R-peak loss on them joins the steps, the checkpoint names what was used and left out.
        fecg = find_fecg(args.fecg)
        rec = os.path.join(tmp, "rec", "r")
        subprocess.run([fecg, "synth", "--seconds", "10", "--seed", "5", "--nstdb", "none", "--out", rec],
                       check=True, stdout=subprocess.DEVNULL)
        for name in ("r", "s"):
            subprocess.run([fecg, "windows", rec, "--ref", rec + ".fqrs", "--hop", "512", "--quiet",
                            "--out", os.path.join(tmp, "real", name)], check=True)
        c = train(parse_args(common + ["--steps", "2", "--run-dir", os.path.join(tmp, "c"),
                                       "--real", os.path.join(tmp, "real"), "--real-exclude", "s"]))
        assert c["step"] == 2 and all(math.isfinite(h["val_loss"]) for h in c["history"])
        real = torch.load(os.path.join(tmp, "c", "last.pt"))["training"]["data"]["real"]
        assert real["recordings"] == ["r"] and real["excluded"] == ["s"] and real["windows"] > 0, real
        try:
            train(parse_args(common + ["--steps", "2", "--run-dir", os.path.join(tmp, "d"),
                                       "--real", os.path.join(tmp, "real"), "--real-exclude", "x"]))
            raise AssertionError("smoke: --real-exclude of an unknown recording was accepted")
        except SystemExit as e:
            assert "not in" in str(e), e
        # A zero time budget stops before the first step and still leaves a checkpoint.
        z = train(parse_args(common + ["--steps", "4", "--run-dir", os.path.join(tmp, "z"), "--time-budget-min", "0"]))
        assert z["step"] == 0 and os.path.exists(os.path.join(tmp, "z", "last.pt"))
    print("train: smoke ok", file=sys.stderr)


def main() -> None:
    args = parse_args()
    if args.smoke:
        smoke(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
