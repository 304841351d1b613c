#!/usr/bin/env python3
"""Writes the tiny golden WFDB records and annotation file of tests/data (see README.md).

Packing follows the WFDB signal(5) and annot(5) man pages, written independently of the C++
reader so that the two check each other. Run from tests/data: python3 make_golden.py
"""
import struct

# Two signals, five frames; the interleaved stream is sig0[0], sig1[0], sig0[1], ...
WIDE = [[0, -1, -300, -2, -511], [1, 57, 255, 500, 3]]      # fits 10 bits (310, 311, 212, ...)
NARROW = [[0, -1, -100, -2, -127], [1, 57, 127, 100, 3]]    # fits 8 bits (80, 8)


def stream(sig):
    return [sig[s][t] for t in range(len(sig[0])) for s in range(len(sig))]


def pack(fmt, sig):
    v = stream(sig)
    if fmt == 16:
        return struct.pack('<%dh' % len(v), *v)
    if fmt == 61:
        return struct.pack('>%dh' % len(v), *v)
    if fmt == 80:
        return bytes(x + 128 for x in v)
    if fmt == 160:
        return struct.pack('<%dH' % len(v), *[x + 32768 for x in v])
    if fmt == 24:
        return b''.join((x & 0xFFFFFF).to_bytes(3, 'little') for x in v)
    if fmt == 32:
        return struct.pack('<%di' % len(v), *v)
    if fmt == 8:  # first differences per signal, from the initial value (the first sample)
        prev = [s[0] for s in sig]
        out = bytearray()
        for t in range(len(sig[0])):
            for s in range(len(sig)):
                out.append((sig[s][t] - prev[s]) & 0xFF)
                prev[s] = sig[s][t]
        return bytes(out)
    if fmt == 212:  # pairs of 12-bit samples in 3 bytes; a lone last sample takes 2 bytes
        out = bytearray()
        for i in range(0, len(v), 2):
            a = v[i] & 0xFFF
            b = v[i + 1] & 0xFFF if i + 1 < len(v) else 0
            out += bytes([a & 0xFF, ((a >> 8) & 0x0F) | ((b >> 4) & 0xF0), b & 0xFF])
        return bytes(out)
    if fmt == 310:  # three 10-bit samples in two little-endian 16-bit words
        out = bytearray()
        for i in range(0, len(v), 3):
            a, b, c = [(v[k] & 0x3FF) if k < len(v) else 0 for k in (i, i + 1, i + 2)]
            w0 = (a << 1) | ((c & 0x1F) << 11)
            w1 = (b << 1) | ((c >> 5) << 11)
            out += struct.pack('<HH', w0, w1)
        return bytes(out)
    if fmt == 311:  # three 10-bit samples in one little-endian 32-bit word
        out = bytearray()
        for i in range(0, len(v), 3):
            a, b, c = [(v[k] & 0x3FF) if k < len(v) else 0 for k in (i, i + 1, i + 2)]
            out += struct.pack('<I', a | (b << 10) | (c << 20))
        return bytes(out)
    raise ValueError(fmt)


def checksum(x):
    s = sum(x) & 0xFFFF
    return s - 0x10000 if s >= 0x8000 else s


for fmt in (8, 16, 24, 32, 61, 80, 160, 212, 310, 311):
    sig = NARROW if fmt in (8, 80) else WIDE
    name = 'fmt%d' % fmt
    with open(name + '.dat', 'wb') as f:
        f.write(pack(fmt, sig))
    # Signal 1: gain 100 adu/uV with baseline 10; signal 2: gain 0 (= 200 adu/mV), baseline = adc zero 4.
    lines = ['%s 2 128 5' % name,
             '%s.dat %d 100(10)/uV 12 0 %d %d 0 lead A' % (name, fmt, sig[0][0], checksum(sig[0])),
             '%s.dat %d 0/mV 12 4 %d %d 0 lead B' % (name, fmt, sig[1][0], checksum(sig[1]))]
    with open(name + '.hea', 'w') as f:
        f.write('# golden record, format %d (tests/data/make_golden.py)\n' % fmt + '\n'.join(lines) + '\n')


def word(code, interval):
    return struct.pack('<H', (code << 10) | interval)


# Annotation file: a "## time resolution" note at 0 with a dummy, N at 10, SKIP to 5000 for V
# (with SUB/CHN/NUM after it), a rhythm "+" with AUX "(N", a free-text NOTE, end of file.
atr = bytearray()
atr += word(22, 0) + word(63, 24) + b'## time resolution: 1000'
atr += word(59, 0) + struct.pack('<HH', 0xFFFF, 0xFFFF) + word(0, 1)       # SKIP -1, dummy at 0
atr += word(1, 10)                                                         # N at 10
atr += word(59, 0) + struct.pack('<HH', 0, 4990) + word(5, 0)               # V at 5000
atr += word(61, 2) + word(62, 1) + word(60, 3)                              # SUB, CHN, NUM
atr += word(28, 20) + word(63, 3) + b'(N\x00\x00'                            # + at 5020, AUX "(N"
atr += word(22, 1) + word(63, 5) + b'hello\x00'                              # NOTE at 5021
atr += word(12, 979)                                                       # / (paced) at 6000
atr += word(0, 0)
with open('golden.atr', 'wb') as f:
    f.write(atr)
