#!/usr/bin/env python3
"""Writes a recording N times as long by repeating it: the long inputs of bench_long.sh.

`fecg synth` simulates in memory and stops at 1e8 values per matrix (about 7 h of 4 leads at
1 kHz), so a 10-hour benchmark input is one simulated hour written ten times over, streamed to
disk here in one pass (never held whole).

  repeat_record.py IN.edf OUT.edf N     EDF/EDF+ with 1-s data records as `fecg synth` writes
                                        them: the EDF+ time-keeping annotations are rewritten
                                        (and their slot widened) so the timeline stays continuous
  repeat_record.py IN.hea OUT.hea N     WFDB, one format-16 signal file: the .dat repeated, the
                                        header's length and checksums multiplied by N
"""
import os
import sys


def field(header: bytes, start: int, width: int) -> str:
    return header[start:start + width].decode('ascii').strip()


def repeat_edf(src: str, dst: str, times: int) -> None:
    with open(src, 'rb') as f:
        fixed = f.read(256)
        ns = int(field(fixed, 252, 4))
        header = bytearray(fixed + f.read(256 * ns))
        n_records = int(field(fixed, 236, 8))
        spr_at = 256 + ns * (16 + 80 + 8 * 5 + 80)  # samples-per-record fields (EDF 1992, table 1)
        spr = [int(field(header, spr_at + 8 * i, 8)) for i in range(ns)]
        labels = [field(header, 256 + 16 * i, 16) for i in range(ns)]
        record_bytes = 2 * sum(spr)
        annotation = labels.index('EDF Annotations') if 'EDF Annotations' in labels else -1
        # The last record's onset is the longest time-keeping text; 2-byte samples.
        longest = len(f'+{n_records * times}\x14\x14\x00')
        new_spr = list(spr)
        if annotation >= 0:
            new_spr[annotation] = max(spr[annotation], (longest + 1) // 2)
            header[spr_at + 8 * annotation:spr_at + 8 * annotation + 8] = f'{new_spr[annotation]:<8}'.encode()
        header[236:244] = f'{n_records * times:<8}'.encode()
        data_start = len(header)
        before = 2 * sum(spr[:annotation]) if annotation >= 0 else record_bytes
        with open(dst, 'wb') as out:
            out.write(header)
            for rep in range(times):
                f.seek(data_start)
                for r in range(n_records):
                    record = f.read(record_bytes)
                    if annotation < 0:
                        out.write(record)
                        continue
                    # Record duration is 1 s in fecg's files, so the onset of record k is k seconds.
                    onset = f'+{rep * n_records + r}\x14\x14\x00'.encode()
                    out.write(record[:before])
                    out.write(onset.ljust(2 * new_spr[annotation], b'\x00'))
                    out.write(record[before + 2 * spr[annotation]:])


def repeat_wfdb(src: str, dst: str, times: int) -> None:
    src_dir, dst_dir = os.path.dirname(src), os.path.dirname(dst)
    dst_name = os.path.basename(dst)[:-4]
    lines = open(src).read().splitlines()
    record = lines[0].split()
    files = {line.split()[0] for line in lines[1:1 + int(record[1])]}
    if len(files) != 1:
        sys.exit('repeat_record.py: only records with one signal file are repeated')
    dat = files.pop()
    record[0] = dst_name
    record[3] = str(int(record[3]) * times)
    out_lines = [' '.join(record)]
    for line in lines[1:1 + int(record[1])]:
        f = line.split(None, 8)
        f[0] = dst_name + '.dat'
        if len(f) > 6:  # checksum: 16-bit sum of the samples, N copies sum N times as much
            f[6] = str(((int(f[6]) * times + 32768) % 65536) - 32768)
        out_lines.append(' '.join(f))
    with open(dst, 'w') as out:
        out.write('\n'.join(out_lines) + '\n')
    with open(os.path.join(src_dir, dat), 'rb') as f:
        block = f.read()
    with open(os.path.join(dst_dir, dst_name + '.dat'), 'wb') as out:
        for _ in range(times):
            out.write(block)


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, dst, times = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if src.endswith('.edf'):
        repeat_edf(src, dst, times)
    elif src.endswith('.hea'):
        repeat_wfdb(src, dst, times)
    else:
        sys.exit('repeat_record.py: expected an .edf or .hea input')


if __name__ == '__main__':
    main()
