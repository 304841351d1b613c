#!/usr/bin/env python3
"""Fits the autoregressive noise models of src/synth/noise.cpp to the MIT-BIH Noise Stress Test
Database (Moody et al., Computers in Cardiology 11:381-384, 1984).

Dev tool, run once by hand; its output is pasted into the constant table kNstdbArModels in
src/synth/noise.cpp. Pure Python (no numpy), reads WFDB format 16 directly.

    python3 scripts/fit_nstdb_ar.py ../shared/data/nstdb

Method: per record (bw, em, ma), both channels; the mean of each channel is removed; bw is first
decimated by 18 (boxcar mean of 18 samples, 360 Hz -> 20 Hz: baseline wander lives below ~2 Hz and
an AR model at 360 Hz would need poles within 1e-3 of the unit circle); the biased autocorrelation
up to the model order is averaged over the two channels and solved by Levinson-Durbin
(Yule-Walker equations), which always yields a stable filter. Printed: model rate, order,
coefficients a_1..a_p of x[t] = sum_k a_k x[t-k] + e[t], and the innovation-to-signal variance ratio.
"""
import array
import sys

FS_HZ = 360.0
MODELS = {"bw": (18, 8), "em": (1, 12), "ma": (1, 12)}  # record: (decimation, AR order)


def read_format16_two_channels(path):
    data = array.array("h")
    with open(path, "rb") as f:
        data.frombytes(f.read())
    if sys.byteorder != "little":
        data.byteswap()
    return [list(data[0::2]), list(data[1::2])]


def decimate_boxcar(x, factor):
    if factor == 1:
        return x
    return [sum(x[i:i + factor]) / factor for i in range(0, len(x) - factor + 1, factor)]


def autocorrelation(x, max_lag):
    n = len(x)
    mean = sum(x) / n
    y = [v - mean for v in x]
    return [sum(a * b for a, b in zip(y, y[k:])) / n for k in range(max_lag + 1)]


def levinson_durbin(r, order):
    a = [0.0] * (order + 1)
    err = r[0]
    for m in range(1, order + 1):
        acc = r[m] - sum(a[k] * r[m - k] for k in range(1, m))
        k_m = acc / err
        new_a = a[:]
        new_a[m] = k_m
        for k in range(1, m):
            new_a[k] = a[k] - k_m * a[m - k]
        a = new_a
        err *= (1.0 - k_m * k_m)
    return a[1:], err / r[0]


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/nstdb"
    for name, (decimation, order) in MODELS.items():
        channels = read_format16_two_channels(f"{directory}/{name}.dat")
        r = [0.0] * (order + 1)
        for ch in channels:
            rc = autocorrelation(decimate_boxcar([float(v) for v in ch], decimation), order)
            r = [a + b / len(channels) for a, b in zip(r, rc)]
        coeffs, innovation_ratio = levinson_durbin(r, order)
        print(f"{name}: fs_hz={FS_HZ / decimation:g} order={order} innovation_var_ratio={innovation_ratio:.6g}")
        print("  {" + ", ".join(f"{c:.8f}" for c in coeffs) + "}")


if __name__ == "__main__":
    main()
