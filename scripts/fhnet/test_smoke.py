"""CI smoke test of the FHNet scripts (< 60 s on 2 cores):

    /usr/bin/python3 scripts/fhnet/test_smoke.py

Every model builds, runs K = 1..8 with the shared output contract, is equivariant to the lead
order, masks padded leads, takes two optimiser steps that lower nothing to NaN; the budget holds;
the export writes files whose card matches them (sha256, tensors) and whose test vectors
reproduce. Exits non-zero on any failure.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export as E  # noqa: E402
import flops as F  # noqa: E402
import model as M  # noqa: E402
import train as T  # noqa: E402

torch.set_num_threads(2)  # the machine is shared


def _random_batch(gen: torch.Generator, b: int, k: int, t: int = M.WINDOW):
    x = torch.randn(b, k, t, generator=gen)
    y = 0.2 * torch.randn(b, k, t, generator=gen)
    r = (torch.rand(b, t, generator=gen) < 0.01).float()
    return x, y, r


class SmokeTest(unittest.TestCase):
    def test_contract_all_models_all_lead_counts(self):
        gen = torch.Generator().manual_seed(0)
        for name in M.MODELS:
            torch.manual_seed(0)
            net = M.build_model(name).eval()
            # Every lead count for FHNet; the extremes for the others (time: CI is 2 cores).
            for k in (range(1, M.MAX_LEADS + 1) if name == "fhnet" else (1, M.MAX_LEADS)):
                x = torch.randn(1, k, M.WINDOW, generator=gen)
                with torch.no_grad():
                    fecg, r_logits, att, weights = net(x)
                self.assertEqual(tuple(fecg.shape), (1, k, M.WINDOW), name)
                self.assertEqual(tuple(weights.shape), (1, M.WINDOW // 8, k), name)
                self.assertLess(float((weights.sum(dim=2) - 1).abs().max()), 1e-5, name)
                self.assertEqual(tuple(r_logits.shape), (1, M.WINDOW), name)
                self.assertEqual(tuple(att.shape[:1] + att.shape[2:]), (1, M.WINDOW // 8, k, k), name)
                self.assertTrue(torch.isfinite(fecg).all() and torch.isfinite(r_logits).all(), name)
            with self.assertRaises(ValueError):
                net(torch.zeros(1, 9, M.WINDOW))
            with self.assertRaises(ValueError):
                net(torch.zeros(1, 2, 1000))

    def test_lead_permutation_equivariance(self):
        gen = torch.Generator().manual_seed(1)
        perm = torch.tensor([4, 2, 0, 5, 1, 3])
        for name in M.MODELS:
            torch.manual_seed(1)
            net = M.build_model(name).eval()
            with torch.no_grad():  # a lead score that is not zero, so the pooling weights differ
                net.rpeak.lead_score.weight.normal_(0.0, 0.5, generator=gen)
            x = torch.randn(1, 6, M.WINDOW, generator=gen)
            with torch.no_grad():
                f1, r1, a1, w1 = net(x)
                f2, r2, a2, w2 = net(x[:, perm])
            if name.startswith("fhnet"):  # layer-normed token features: the weights spread
                self.assertGreater(float(w1.std()), 1e-3, name)
            self.assertLess(float((f2 - f1[:, perm]).abs().max()), 1e-5, name)
            self.assertLess(float((r2 - r1).abs().max()), 1e-4, name)
            self.assertLess(float((w2 - w1[:, :, perm]).abs().max()), 1e-5, name)
            if a1.shape[1]:
                self.assertLess(float((a2 - a1[:, :, :, perm][:, :, :, :, perm]).abs().max()), 1e-5, name)

    def test_lead_mask_equals_dropping_the_padded_leads(self):
        torch.manual_seed(2)
        net = M.FHNet().eval()
        with torch.no_grad():
            net.rpeak.lead_score.weight.normal_(0.0, 0.5)
        x = torch.randn(1, 5, M.WINDOW)
        mask = torch.tensor([[True, True, True, False, False]])
        padded = x.clone()
        padded[:, 3:] = 7.0  # garbage in the padded leads must not leak into the real ones
        with torch.no_grad():
            f_pad, r_pad, _, w_pad = net(padded, mask)
            f_ref, r_ref, _, w_ref = net(x[:, :3])
        self.assertLess(float((f_pad[:, :3] - f_ref).abs().max()), 1e-5)
        self.assertLess(float((r_pad - r_ref).abs().max()), 1e-5)
        self.assertEqual(float(w_pad[:, :, 3:].abs().max()), 0.0)
        self.assertLess(float((w_pad[:, :, :3] - w_ref).abs().max()), 1e-6)

    def test_a_mean_pooled_model_starts_a_lead_pooled_one_unchanged(self):
        torch.manual_seed(7)
        old = M.FHNet(M.config_from_json({"lead_pool": False})).eval()
        self.assertEqual(M.config_from_json({}).lead_pool, False)  # a card from before the pooling
        new = M.FHNet().eval()
        self.assertEqual(M.load_weights(new, old.state_dict()), ["rpeak.lead_score.weight", "rpeak.lead_score.bias"])
        x = torch.randn(2, 4, M.WINDOW)
        with torch.no_grad():
            f_old, r_old, _, w_old = old(x)
            f_new, r_new, _, w_new = new(x)
        self.assertLess(float((f_new - f_old).abs().max()), 1e-6)
        self.assertLess(float((r_new - r_old).abs().max()), 1e-5)
        self.assertLess(float((w_old - 0.25).abs().max()), 1e-7)
        self.assertLess(float((w_new - 0.25).abs().max()), 1e-7)
        broken = dict(old.state_dict())
        del broken["rpeak.conv.weight"]
        with self.assertRaises(RuntimeError):
            M.load_weights(M.FHNet(), broken)

    def test_relative_fecg_loss_is_one_minus_r2_per_lead(self):
        gen = torch.Generator().manual_seed(8)
        y = torch.randn(3, 4, M.WINDOW, generator=gen) * torch.tensor([0.05, 0.5, 1.0, 3.0])[None, :, None]
        self.assertEqual(float(M.relative_fecg_loss(y, y)), 0.0)
        zero = M.relative_fecg_loss(torch.zeros_like(y), y, floor=0.0)  # R² = 0 on every lead:
        self.assertAlmostEqual(float(zero), 1.0, places=2)               # weak and strong leads alike
        half = M.relative_fecg_loss(0.5 * y, y, floor=0.0)
        self.assertAlmostEqual(float(half), 0.25, places=2)

    def test_budget(self):
        net = M.FHNet()
        f = F.count_flops(net, 4)
        self.assertLessEqual(M.parameter_count(net), 500_000)
        self.assertLessEqual(f["flops"], 100e6)

    def test_two_training_steps(self):
        gen = torch.Generator().manual_seed(3)
        for name in M.MODELS:
            torch.manual_seed(3)
            net = M.build_model(name).train()
            opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
            x, y, r = _random_batch(gen, 2, 4)
            mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
            losses = []
            for _ in range(2):
                loss, parts = M.fhnet_loss(net(x, mask), y, r, mask)
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(float(loss))
                self.assertTrue(np.isfinite(parts["mse"]) and np.isfinite(parts["bce"]), name)
            self.assertTrue(all(np.isfinite(losses)), name)
            grads = [p.grad for p in net.parameters() if p.requires_grad]
            self.assertTrue(all(g is not None and torch.isfinite(g).all() for g in grads), name)

    def test_lead_corruption_hits_one_lead_of_the_chosen_windows(self):
        rng = np.random.default_rng(5)
        x = torch.randn(64, 4, M.WINDOW)
        before = x.clone()
        out = T.corrupt_one_lead(x, rng, 1.0)
        changed = (out - x).abs().amax(dim=2) > 0           # windows × leads
        self.assertTrue((changed.sum(dim=1) == 1).all())    # exactly one lead per window
        added = (out - x)[changed]
        self.assertTrue(((added.std(dim=1) > 0.9) & (added.std(dim=1) < 4.3)).all())
        self.assertEqual(len(set(changed.float().argmax(dim=1).tolist())), 4)  # any lead may be hit
        self.assertTrue(torch.equal(x, before))             # the input itself is left alone
        half = T.corrupt_one_lead(x, np.random.default_rng(6), 0.5)
        hit = ((half - x).abs().amax(dim=(1, 2)) > 0).float().mean().item()
        self.assertTrue(0.3 < hit < 0.7)
        self.assertTrue(torch.equal(T.corrupt_one_lead(x, rng, 0.0), x))
        one = torch.randn(8, 1, M.WINDOW)
        self.assertTrue(torch.equal(T.corrupt_one_lead(one, rng, 1.0), one))  # no other lead to lean on

    def test_init_from_the_shipped_model_folder(self):
        models = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models")
        ck = T.load_init(models, "cpu")
        net = M.build_model("fhnet")
        net = M.FHNet(M.config_from_json(ck["config"])) if "config" in ck else net
        net.load_state_dict(ck["state_dict"])  # strict: every tensor named and shaped as the model's
        weights, _ = E.read_safetensors(os.path.join(models, "fhnet.safetensors"))
        self.assertEqual(sorted(weights), sorted(net.state_dict()))
        self.assertTrue(all(np.array_equal(weights[k], v.numpy()) for k, v in net.state_dict().items()))

    def test_export_files_match_their_card(self):
        torch.manual_seed(4)
        net = M.FHNet().eval()
        with tempfile.TemporaryDirectory() as out:
            card = E.export_all(net, out, seed=4, training={"recipe": "smoke"}, metrics={}, quiet=True)
            with open(os.path.join(out, "fhnet.json")) as f:
                self.assertEqual(json.load(f)["files"], card["files"])
            for entry in card["files"].values():
                with open(os.path.join(out, entry["path"]), "rb") as f:
                    self.assertEqual(hashlib.sha256(f.read()).hexdigest(), entry["sha256"])
            weights, meta = E.read_safetensors(os.path.join(out, "fhnet.safetensors"))
            self.assertEqual(meta["model"], "fhnet")
            self.assertEqual({k: list(v.shape) for k, v in weights.items()}, card["tensors"])
            for k, v in net.state_dict().items():
                self.assertTrue(np.array_equal(weights[k], v.numpy()), k)
            vectors, _ = E.read_safetensors(os.path.join(out, "fhnet_testvectors.safetensors"))
            with torch.no_grad():
                fecg, prob, att, weights = M.ExportWrapper(net)(torch.from_numpy(vectors["k3.x"].copy()))
            self.assertLess(float(np.abs(fecg.numpy() - vectors["k3.fecg"]).max()), 1e-6)
            self.assertLess(float(np.abs(weights.numpy() - vectors["k3.lead_weights"]).max()), 1e-6)
            self.assertLess(float(np.abs(prob.numpy() - vectors["k3.rpeak_prob"]).max()), 1e-6)
            self.assertTrue(os.path.getsize(os.path.join(out, "fhnet.onnx")) < 4 << 20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
