"""Counts parameters and FLOPs per window of every model in model.py and prints them.

    /usr/bin/python3 scripts/fhnet/flops.py [--leads 4] [--json]

FLOPs are counted by forward hooks on one window (B = 1) at K leads: 2 FLOPs per multiply-add of
every convolution, linear layer, attention product (QK^T and AV) and LSTM gate product; the
element-wise work (norms, activations, softmax, residual adds) is counted as well with a nominal
cost per element (LayerNorm 8, GELU 8, softmax 5, add/mul 1) so the figure is an upper bound
of what an engine executes, not just the multiply-adds.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402


def count_flops(net: nn.Module, n_leads: int = 4, window: int = M.WINDOW) -> dict:
    """Returns {"flops": total, "mac_flops": multiply-add part, "elementwise_flops": rest}."""
    mac = [0]
    elem = [0]

    def conv_hook(m: nn.Conv1d, inp, out):
        n, c_out, l_out = out.shape
        mac[0] += 2 * n * c_out * l_out * (m.in_channels // m.groups) * m.kernel_size[0]

    def linear_hook(m: nn.Linear, inp, out):
        mac[0] += 2 * out.numel() * m.in_features

    def norm_hook(m, inp, out):
        elem[0] += 8 * out.numel()

    def self_attn_hook(m: M.SelfAttention, inp, out):
        n, t, d = inp[0].shape
        mac[0] += 2 * 2 * n * t * t * d             # QK^T and AV over all heads
        elem[0] += 5 * n * m.heads * t * t          # softmax

    def graph_hook(m: M.GraphAttention, inp, out):
        b, k, t, d = inp[0].shape
        mac[0] += 2 * 2 * b * t * k * k * d
        elem[0] += 5 * b * t * m.heads * k * k + b * k * t * d  # softmax, residual

    def lstm_hook(m: nn.LSTM, inp, out):
        n, t, _ = inp[0].shape
        dirs = 2 if m.bidirectional else 1
        for layer in range(m.num_layers):
            d_in = m.input_size if layer == 0 else m.hidden_size * dirs
            mac[0] += 2 * n * t * dirs * 4 * m.hidden_size * (d_in + m.hidden_size)
            elem[0] += n * t * dirs * m.hidden_size * 4 * 8  # gate non-linearities, cell update

    def block_hook(m: M.TemporalBlock, inp, out):
        elem[0] += 2 * out.numel()  # two residual adds

    def mixer_hook(m: M.MultiScaleMixer, inp, out):
        n, t, d = inp[0].shape
        nb = len(m.dw) + (1 if m.multi_scale else 0)
        elem[0] += (2 * nb + 5) * n * t * d if m.multi_scale else 0  # pool, upsample, gate mix

    hooks = []
    for mod in net.modules():
        if isinstance(mod, nn.Conv1d):
            hooks.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.Linear):
            hooks.append(mod.register_forward_hook(linear_hook))
        elif isinstance(mod, nn.LayerNorm):
            hooks.append(mod.register_forward_hook(norm_hook))
        elif isinstance(mod, M.SelfAttention):
            hooks.append(mod.register_forward_hook(self_attn_hook))
        elif isinstance(mod, M.GraphAttention):
            hooks.append(mod.register_forward_hook(graph_hook))
        elif isinstance(mod, nn.LSTM):
            hooks.append(mod.register_forward_hook(lstm_hook))
        elif isinstance(mod, M.TemporalBlock):
            hooks.append(mod.register_forward_hook(block_hook))
        elif isinstance(mod, M.MultiScaleMixer):
            hooks.append(mod.register_forward_hook(mixer_hook))
    # GELU is a function, not a module: count it from the activations it is applied to, which
    # are exactly the outputs of the convs of encoder/decoder/head and the FFN hidden layers.
    gelu_elems = [0]
    original = M.gelu

    def counting_gelu(x):
        gelu_elems[0] += x.numel()
        return original(x)

    M.gelu = counting_gelu
    try:
        net.eval()
        with torch.no_grad():
            net(torch.zeros(1, n_leads, window))
    finally:
        M.gelu = original
        for h in hooks:
            h.remove()
    elem[0] += 8 * gelu_elems[0]
    return {"flops": mac[0] + elem[0], "mac_flops": mac[0], "elementwise_flops": elem[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--leads", type=int, default=4)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args()
    torch.manual_seed(0)
    rows = {}
    for name in M.MODELS:
        net = M.build_model(name)
        f = count_flops(net, args.leads)
        rows[name] = {"parameters": M.parameter_count(net), "mflop_per_window": f["flops"] / 1e6,
                      "mac_mflop": f["mac_flops"] / 1e6}
    if args.json:
        print(json.dumps({"leads": args.leads, "window": M.WINDOW, "models": rows}, indent=1))
        return
    print(f"per window of {M.WINDOW} samples, K = {args.leads} leads (budget: <= 0.5 M parameters, <= 100 MFLOP)")
    print(f"{'model':<22}{'parameters':>12}{'MFLOP':>10}{'of which MAC':>14}")
    for name, r in rows.items():
        print(f"{name:<22}{r['parameters']:>12,}{r['mflop_per_window']:>10.1f}{r['mac_mflop']:>14.1f}")


if __name__ == "__main__":
    main()
