"""FHNet and its baselines: fetal ECG extraction from K abdominal leads (our design after
arXiv 2509.19308, "FHNet": graph attention across leads + a multi-scale enhanced transformer).

Contract shared by every model here (so that training, export and evaluation are one loop):

    forward(x, lead_mask=None) -> (fecg, r_logits, attention, lead_weights)
      x          B × K × 1024  abdominal leads, each normalised by the core (robust median/MAD
                               scaling, src/dsp/normalize.h), 250 Hz, 1 <= K <= 8, any order
      lead_mask  B × K bool    True for real leads; padded leads (False) are ignored, so a batch
                               may mix recordings with different lead counts. None: all real.
      fecg       B × K × 1024  fetal ECG in every input lead, same normalised units as x
      r_logits   B × 1024      logit of "a fetal R peak is at this sample"; pooled over the leads
                               (attention pooling, or a masked mean), so invariant to their order
      attention  B × L × T' × K × K  graph-attention coefficients (mean over heads) of the L
                               graph layers at the T' = 1024 / 8 tokens; row i: the weights lead i
                               gives to every lead. Models without graph attention return an
                               empty B × 0 × T' × K × K tensor.
      lead_weights B × T' × K  the weight of each lead in the R-peak head's pooling at each token
                               (softmax over the real leads; sums to 1 over them): how much the
                               beat output relies on each lead. Uniform where cfg.lead_pool is off.

No tensor depends on a lead's position (no lead embeddings): every per-lead module has shared
weights and the graph attention is a set operation, so permuting the leads of x permutes fecg
and both lead axes of attention and the lead axis of lead_weights, and leaves r_logits unchanged (test_smoke.py checks it).

Every op is chosen to export to ONNX opset 17 and to be reproduced exactly by the C++ engine
(src/model/fhnet.cpp): conv1d, linear, layer norm (eps 1e-5), GELU (tanh form), softmax,
average pooling, nearest upsampling, sigmoid.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

WINDOW = 1024  # samples per window: 4.096 s at 250 Hz
FS_HZ = 250.0
MAX_LEADS = 8
LN_EPS = 1e-5  # torch's default, written into the card for the C++ engine


@dataclasses.dataclass
class FHNetConfig:
    """Hyper-parameters; written verbatim into the model card (models/fhnet.json) so that the
    C++ engine builds the same network. Defaults fit the browser budget (<= 0.5 M parameters,
    <= 100 MFLOP per window at K = 4; scripts/fhnet/flops.py prints both)."""

    window: int = WINDOW
    d_model: int = 48
    # Encoder: a stem conv at full rate, then three stride-2 convs (×8 down: 1024 -> 128 tokens,
    # one token = 32 ms, shorter than a fetal QRS of 40-60 ms).
    enc_channels: Tuple[int, int, int] = (12, 20, 32)
    stem_kernel: int = 7       # 28 ms at 250 Hz
    down_kernel: int = 3       # stride 2, padding 1: length exactly halves
    dec_kernel: int = 3
    n_blocks: int = 2          # each block: graph attention across leads, then a temporal block
    graph_heads: int = 4
    attn_heads: int = 4        # heads of the coarse-scale (and single-scale) self-attention
    # Depthwise branches over tokens: 3, 9, 27 tokens = 96 ms (a QRS), 288 ms (a fetal beat at
    # 200 bpm is 300 ms), 864 ms (two fetal beats, one maternal beat).
    dw_kernels: Tuple[int, ...] = (3, 9, 27)
    coarse_pool: int = 4       # coarse branch: 128 ms tokens, self-attention over the window
    ffn_mult: int = 2
    head_kernel: int = 5       # R-peak head conv, 20 ms
    use_graph: bool = True     # ablation "no graph": False
    multi_scale: bool = True   # ablation "single scale": only the medium depthwise branch
    # R-peak head pools the leads' decoder features with learned weights (a softmax over leads
    # of a linear score of each lead's final token features) instead of a plain mean. Zero-
    # initialised, it starts as the mean. Cards and checkpoints written before it: False.
    lead_pool: bool = True

    @property
    def tokens(self) -> int:
        return self.window // 8

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["enc_channels"] = list(self.enc_channels)
        d["dw_kernels"] = list(self.dw_kernels)
        return d


def gelu(x: torch.Tensor) -> torch.Tensor:
    # The tanh form (Hendrycks & Gimpel 2016, eq. for the approximation): exported as
    # elementary ops and evaluated the same way by the C++ engine.
    return F.gelu(x, approximate="tanh")


def _check_input(x: torch.Tensor, lead_mask: Optional[torch.Tensor], window: int) -> None:
    if x.dim() != 3 or x.shape[-1] != window:
        raise ValueError(f"fhnet: expected input B x K x {window}, got {tuple(x.shape)}")
    if not (1 <= x.shape[1] <= MAX_LEADS):
        raise ValueError(f"fhnet: expected 1..{MAX_LEADS} leads, got {x.shape[1]}")
    if lead_mask is not None and tuple(lead_mask.shape) != tuple(x.shape[:2]):
        raise ValueError(f"fhnet: lead_mask must be B x K = {tuple(x.shape[:2])}, got {tuple(lead_mask.shape)}")


class SelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention over the token axis of N × T × D
    (Vaswani et al. 2017). Fused QKV projection; rows of the weight are [q; k; v]."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        if d % heads:
            raise ValueError(f"SelfAttention: d_model {d} not divisible by {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        n, t, d = u.shape
        dh = d // self.heads
        q, k, v = self.qkv(u).reshape(n, t, 3, self.heads, dh).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)  # N × H × T × T
        return self.out((a @ v).transpose(1, 2).reshape(n, t, d))


class GraphAttention(nn.Module):
    """Graph attention across leads, at every token: each lead is a node, the adjacency is
    computed from the features (dot-product scores, multi-head, softmax over the neighbours,
    self included), the update is added back (pre-norm residual). Being a set operation it is
    equivariant to the lead order and accepts any K."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        if d % heads:
            raise ValueError(f"GraphAttention: d_model {d} not divisible by {heads} heads")
        self.heads = heads
        self.norm = nn.LayerNorm(d, eps=LN_EPS)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)

    def forward(self, h: torch.Tensor, lead_mask: Optional[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        # h: B × K × T × D
        b, k, t, d = h.shape
        dh = d // self.heads
        qkv = self.qkv(self.norm(h)).reshape(b, k, t, 3, self.heads, dh)
        q, kk, v = qkv.permute(3, 0, 2, 4, 1, 5)  # each B × T × H × K × dh
        s = q @ kk.transpose(-1, -2) / math.sqrt(dh)  # B × T × H × K(query) × K(key)
        if lead_mask is not None:
            s = s.masked_fill(~lead_mask[:, None, None, None, :], float("-inf"))
        a = torch.softmax(s, dim=-1)
        o = (a @ v).permute(0, 3, 1, 2, 4).reshape(b, k, t, d)
        return h + self.out(o), a.mean(dim=2)  # attention: B × T × K × K


class MultiScaleMixer(nn.Module):
    """Token mixer of the multi-scale enhanced transformer block: parallel branches at several
    temporal scales over N × T × D, fused by a learned per-token gate (softmax over branches),
    then projected. Branches: depthwise convs of small/medium/large kernels and a coarse scale
    (average pool ×P, self-attention, nearest upsample). Single-scale ablation: the medium
    depthwise branch alone, no gate."""

    def __init__(self, cfg: FHNetConfig):
        super().__init__()
        d = cfg.d_model
        kernels = list(cfg.dw_kernels) if cfg.multi_scale else [cfg.dw_kernels[len(cfg.dw_kernels) // 2]]
        self.dw = nn.ModuleList(nn.Conv1d(d, d, kk, padding=kk // 2, groups=d) for kk in kernels)
        self.multi_scale = cfg.multi_scale
        self.pool = cfg.coarse_pool
        if cfg.multi_scale:
            self.coarse = SelfAttention(d, cfg.attn_heads)
            self.gate = nn.Linear(d, len(kernels) + 1)
        self.out = nn.Linear(d, d)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        uc = u.transpose(1, 2)  # N × D × T for the convolutions
        branches = [conv(uc).transpose(1, 2) for conv in self.dw]
        if not self.multi_scale:
            return self.out(branches[0])
        c = F.avg_pool1d(uc, self.pool, self.pool).transpose(1, 2)  # N × T/P × D
        c = self.coarse(c).transpose(1, 2)
        branches.append(F.interpolate(c, scale_factor=float(self.pool), mode="nearest").transpose(1, 2))
        g = torch.softmax(self.gate(u), dim=-1)  # N × T × n_branches
        m = (torch.stack(branches, dim=-1) * g.unsqueeze(2)).sum(dim=-1)
        return self.out(m)


class FeedForward(nn.Module):
    def __init__(self, d: int, mult: int):
        super().__init__()
        self.fc1 = nn.Linear(d, mult * d)
        self.fc2 = nn.Linear(mult * d, d)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.fc2(gelu(self.fc1(u)))


class TemporalBlock(nn.Module):
    """Pre-norm transformer block over time, per lead: h += mixer(LN(h)); h += FFN(LN(h))."""

    def __init__(self, cfg: FHNetConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.d_model, eps=LN_EPS)
        self.mixer = MultiScaleMixer(cfg)
        self.norm2 = nn.LayerNorm(cfg.d_model, eps=LN_EPS)
        self.ffn = FeedForward(cfg.d_model, cfg.ffn_mult)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h = h + self.mixer(self.norm1(h))
        return h + self.ffn(self.norm2(h))


class LeadEncoder(nn.Module):
    """Per-lead temporal encoder (shared weights): stem conv, three stride-2 convs, GELU after
    each. Returns the skips at 1024, 512, 256 samples and the tokens at 128 (N × C × L)."""

    def __init__(self, cfg: FHNetConfig):
        super().__init__()
        c0, c1, c2 = cfg.enc_channels
        kd = cfg.down_kernel
        pd = (kd - 1) // 2  # stride 2: out = in / 2 exactly (in even) for kernels 3, 4, 5
        self.stem = nn.Conv1d(1, c0, cfg.stem_kernel, padding=cfg.stem_kernel // 2)
        self.down1 = nn.Conv1d(c0, c1, kd, stride=2, padding=pd)
        self.down2 = nn.Conv1d(c1, c2, kd, stride=2, padding=pd)
        self.down3 = nn.Conv1d(c2, cfg.d_model, kd, stride=2, padding=pd)

    def forward(self, x: torch.Tensor):
        e0 = gelu(self.stem(x))
        e1 = gelu(self.down1(e0))
        e2 = gelu(self.down2(e1))
        return (e0, e1, e2), gelu(self.down3(e2))


class LeadDecoder(nn.Module):
    """Per-lead decoder (shared weights): three stages of nearest ×2 upsampling, conv, GELU,
    plus the encoder skip of the same rate (U-Net style); then a 1×1 conv to the fetal ECG."""

    def __init__(self, cfg: FHNetConfig):
        super().__init__()
        c0, c1, c2 = cfg.enc_channels
        k = cfg.dec_kernel
        self.up3 = nn.Conv1d(cfg.d_model, c2, k, padding=k // 2)
        self.up2 = nn.Conv1d(c2, c1, k, padding=k // 2)
        self.up1 = nn.Conv1d(c1, c0, k, padding=k // 2)
        self.fecg = nn.Conv1d(c0, 1, 1)

    def forward(self, z: torch.Tensor, skips) -> Tuple[torch.Tensor, torch.Tensor]:
        e0, e1, e2 = skips
        d = gelu(self.up3(F.interpolate(z, scale_factor=2.0, mode="nearest"))) + e2
        d = gelu(self.up2(F.interpolate(d, scale_factor=2.0, mode="nearest"))) + e1
        d = gelu(self.up1(F.interpolate(d, scale_factor=2.0, mode="nearest"))) + e0
        return self.fecg(d), d  # N × 1 × 1024, features N × c0 × 1024


class RPeakHead(nn.Module):
    """Auxiliary head: the leads' decoder features (B × K × c0 × 1024) pooled over the leads,
    conv, GELU, 1×1 conv -> logit per sample. The pooling weights come from the leads' final
    token features (B × K × T' × D): a linear score per lead and token, a softmax over the real
    leads, held for the token's 8 samples (cfg.lead_pool); else a masked mean. Returns the
    logits and the weights (B × T' × K)."""

    def __init__(self, cfg: FHNetConfig):
        super().__init__()
        c0 = cfg.enc_channels[0]
        self.conv = nn.Conv1d(c0, c0, cfg.head_kernel, padding=cfg.head_kernel // 2)
        self.logit = nn.Conv1d(c0, 1, 1)
        self.lead_score = nn.Linear(cfg.d_model, 1) if cfg.lead_pool else None
        if self.lead_score is not None:
            nn.init.zeros_(self.lead_score.weight)  # starts as the mean: a fine-tune from a
            nn.init.zeros_(self.lead_score.bias)    # mean-pooled model begins where it stood

    def lead_weights(self, h: torch.Tensor, lead_mask: Optional[torch.Tensor]) -> torch.Tensor:
        b, k, t, _ = h.shape
        if self.lead_score is None:
            s = h.new_zeros(b, k, t)
        else:
            s = self.lead_score(h)[..., 0]  # B × K × T'
        if lead_mask is not None:
            s = s.masked_fill(~lead_mask[:, :, None], float("-inf"))
        return torch.softmax(s, dim=1).transpose(1, 2)  # B × T' × K

    def forward(self, feat: torch.Tensor, h: torch.Tensor, lead_mask: Optional[torch.Tensor]):
        w = self.lead_weights(h, lead_mask)  # B × T' × K
        per_sample = torch.repeat_interleave(w.transpose(1, 2), feat.shape[-1] // w.shape[1], dim=2)
        pooled = (feat * per_sample[:, :, None, :]).sum(dim=1)  # B × c0 × 1024
        return self.logit(gelu(self.conv(pooled)))[:, 0, :], w

class _EncoderDecoderModel(nn.Module):
    """Shared shell: per-lead encoder, a core on B × K × T' × D, per-lead decoder, R-peak head."""

    def __init__(self, cfg: FHNetConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = LeadEncoder(cfg)
        self.decoder = LeadDecoder(cfg)
        self.rpeak = RPeakHead(cfg)

    def core(self, h: torch.Tensor, lead_mask: Optional[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def forward(self, x: torch.Tensor, lead_mask: Optional[torch.Tensor] = None):
        _check_input(x, lead_mask, self.cfg.window)
        b, k, t = x.shape
        skips, z = self.encoder(x.reshape(b * k, 1, t))
        h = z.transpose(1, 2)  # N × T' × D, N = B·K
        h, attention = self.core(h.reshape(b, k, h.shape[1], h.shape[2]), lead_mask)
        y, feat = self.decoder(h.reshape(b * k, h.shape[2], h.shape[3]).transpose(1, 2), skips)
        r_logits, lead_weights = self.rpeak(feat.reshape(b, k, feat.shape[1], feat.shape[2]), h, lead_mask)
        return y.reshape(b, k, t), r_logits, attention, lead_weights


class FHNet(_EncoderDecoderModel):
    """FHNet: per block, graph attention across leads (at every token) then a multi-scale
    pre-norm transformer block over time (per lead), final layer norm."""

    def __init__(self, cfg: Optional[FHNetConfig] = None):
        cfg = cfg or FHNetConfig()
        super().__init__(cfg)
        self.graphs = nn.ModuleList(GraphAttention(cfg.d_model, cfg.graph_heads) for _ in range(cfg.n_blocks)) \
            if cfg.use_graph else nn.ModuleList()
        self.blocks = nn.ModuleList(TemporalBlock(cfg) for _ in range(cfg.n_blocks))
        self.norm = nn.LayerNorm(cfg.d_model, eps=LN_EPS)

    def core(self, h, lead_mask):
        b, k, t, d = h.shape
        maps = []
        for i, block in enumerate(self.blocks):
            if self.cfg.use_graph:
                h, a = self.graphs[i](h, lead_mask)
                maps.append(a)
            h = block(h.reshape(b * k, t, d)).reshape(b, k, t, d)
        attention = torch.stack(maps, dim=1) if maps else h.new_zeros(b, 0, t, k, k)
        return self.norm(h), attention


def sinusoidal_positions(t: int, d: int) -> torch.Tensor:
    """Positions in time (never in lead), Vaswani et al. 2017 §3.5: T × D."""
    pos = torch.arange(t, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(t, d)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)
    return pe


class TransformerBaseline(_EncoderDecoderModel):
    """Baseline: a standard pre-norm transformer over time per lead (full self-attention at one
    scale, sinusoidal time positions), no graph attention; same encoder, decoder and heads."""

    def __init__(self, cfg: Optional[FHNetConfig] = None, n_layers: int = 3):
        cfg = cfg or FHNetConfig()
        super().__init__(cfg)
        d = cfg.d_model
        self.register_buffer("positions", sinusoidal_positions(cfg.tokens, d), persistent=False)
        self.norms1 = nn.ModuleList(nn.LayerNorm(d, eps=LN_EPS) for _ in range(n_layers))
        self.attns = nn.ModuleList(SelfAttention(d, cfg.attn_heads) for _ in range(n_layers))
        self.norms2 = nn.ModuleList(nn.LayerNorm(d, eps=LN_EPS) for _ in range(n_layers))
        self.ffns = nn.ModuleList(FeedForward(d, cfg.ffn_mult) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d, eps=LN_EPS)

    def core(self, h, lead_mask):
        b, k, t, d = h.shape
        h = h.reshape(b * k, t, d) + self.positions[:t]
        for n1, attn, n2, ffn in zip(self.norms1, self.attns, self.norms2, self.ffns):
            h = h + attn(n1(h))
            h = h + ffn(n2(h))
        return self.norm(h).reshape(b, k, t, d), h.new_zeros(b, 0, t, k, k)


class BiLSTMBaseline(_EncoderDecoderModel):
    """Baseline: a 2-layer bidirectional LSTM over time per lead, no graph attention; same
    encoder, decoder and heads."""

    def __init__(self, cfg: Optional[FHNetConfig] = None, hidden: int = 48, n_layers: int = 2):
        cfg = cfg or FHNetConfig()
        super().__init__(cfg)
        self.lstm = nn.LSTM(cfg.d_model, hidden, num_layers=n_layers, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * hidden, cfg.d_model)

    def core(self, h, lead_mask):
        b, k, t, d = h.shape
        y, _ = self.lstm(h.reshape(b * k, t, d))
        return self.proj(y).reshape(b, k, t, d), h.new_zeros(b, 0, t, k, k)


MODELS = {
    "fhnet": lambda: FHNet(FHNetConfig()),
    "fhnet-no-graph": lambda: FHNet(FHNetConfig(use_graph=False)),
    "fhnet-single-scale": lambda: FHNet(FHNetConfig(multi_scale=False)),
    "bilstm": lambda: BiLSTMBaseline(),
    "transformer": lambda: TransformerBaseline(),
}


def config_from_json(d: dict) -> FHNetConfig:
    """The config a checkpoint or card recorded; one written before lead_pool existed pooled the
    leads with a plain mean."""
    d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in FHNetConfig.__dataclass_fields__}
    return FHNetConfig(**({"lead_pool": False} | d))


def load_weights(net: nn.Module, state_dict: dict) -> list:
    """load_state_dict that lets a mean-pooled model's weights start a lead-pooled one: only the
    zero-initialised lead score may be missing (the network then computes what it computed).
    Returns the names that were missing."""
    missing, unexpected = net.load_state_dict(state_dict, strict=False)
    bad = [n for n in missing if not n.startswith("rpeak.lead_score.")] + list(unexpected)
    if bad:
        raise RuntimeError(f"load_weights: weights do not fit the model: {', '.join(bad)}")
    return missing


def build_model(name: str) -> nn.Module:
    if name not in MODELS:
        raise ValueError(f"build_model: unknown model '{name}', expected one of {sorted(MODELS)}")
    return MODELS[name]()


def fhnet_loss(outputs, y_fecg: torch.Tensor, r_target: torch.Tensor, lead_mask: Optional[torch.Tensor],
               r_weight: float = 0.5, pos_weight: float = 1.0) -> Tuple[torch.Tensor, dict]:
    """Training loss over (x, y_fecg, r_peak_target, lead_mask) batches: masked MSE of the fetal
    ECG in normalised units over real leads, plus r_weight × BCE of the R-peak logits against a
    0..1 target (`fecg dataset`: a Gaussian of 10 ms sd around each fetal R peak), its positive
    term weighted by pos_weight (R-peak samples are ~4 % of all). Returns (loss, parts)."""
    fecg, r_logits = outputs[:2]
    err = (fecg - y_fecg) ** 2
    if lead_mask is not None:
        m = lead_mask.to(err.dtype)[:, :, None]
        mse = (err * m).sum() / (m.sum() * err.shape[-1]).clamp(min=1.0)
    else:
        mse = err.mean()
    bce = rpeak_bce(r_logits, r_target, pos_weight)
    return mse + r_weight * bce, {"mse": float(mse), "bce": float(bce)}


def relative_fecg_loss(fecg: torch.Tensor, y_fecg: torch.Tensor, floor: float = 0.02) -> torch.Tensor:
    """1 − R² of each lead's fetal ECG over the window, averaged over windows and leads: the
    squared error divided by the lead's own fetal variance (plus `floor`, normalised units², about
    the 2nd percentile of the training leads' fetal variance, so that a lead with no fetal signal
    does not dominate). The plain MSE weighs a lead by its fetal amplitude; this weighs every lead
    alike, as the per-lead R² of the evaluation does."""
    sse = ((fecg - y_fecg) ** 2).mean(dim=-1)
    return (sse / (y_fecg.var(dim=-1) + floor)).mean()


def rpeak_bce(r_logits: torch.Tensor, r_target: torch.Tensor, pos_weight: float = 1.0) -> torch.Tensor:
    """BCE of the R-peak logits against the 0..1 target, the positive term weighted by pos_weight
    (the R-peak part of fhnet_loss; alone for real recordings, which have no fetal-ECG target)."""
    return F.binary_cross_entropy_with_logits(
        r_logits, r_target, pos_weight=None if pos_weight == 1.0 else r_logits.new_tensor(pos_weight))


def lead_snr_loss(lead_weights: torch.Tensor, x: torch.Tensor, y_fecg: torch.Tensor, temperature_db: float = 4.0,
                  lead_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Teaches the R-peak head's lead weights (B × T' × K) where the fetal ECG is: the cross-
    entropy between softmax_k(SNR_k / temperature) and the weights at every token, where SNR_k =
    10 log10(var(fetal_k) / var(x_k - fetal_k)) over the window (the lead's fetal SNR: the mother
    and the noise both count against it; the units of x cancel). Simulated windows only: real
    recordings have no fetal ECG to measure it with."""
    snr_db = 10.0 * torch.log10(y_fecg.var(dim=-1).clamp(min=1e-8) / (x - y_fecg).var(dim=-1).clamp(min=1e-8))
    logits = snr_db / temperature_db
    log_w = torch.log(lead_weights.clamp(min=1e-8))  # B × T' × K
    if lead_mask is not None:
        logits = logits.masked_fill(~lead_mask, float("-inf"))
        log_w = log_w.masked_fill(~lead_mask[:, None, :], 0.0)
    target = torch.softmax(logits, dim=1)  # B × K
    return -(target[:, None, :] * log_w).sum(dim=2).mean()


class ExportWrapper(nn.Module):
    """What the runtimes see: probabilities instead of logits, no mask (all K leads real)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor):
        fecg, r_logits, attention, lead_weights = self.model(x)
        return fecg, torch.sigmoid(r_logits), attention, lead_weights


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
