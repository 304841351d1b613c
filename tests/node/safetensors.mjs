// Reads a safetensors file (F32 tensors only): the layout written by scripts/fhnet/export.py —
// an 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
// then the raw little-endian data, offsets relative to the end of the header.
import { readFileSync } from 'node:fs';

export function readSafetensors(path) {
  const raw = readFileSync(path);
  const n = Number(raw.readBigUInt64LE(0));
  if (8 + n > raw.length) throw new Error(`safetensors: ${path}: header of ${n} bytes past the end of the ${raw.length}-byte file`);
  const header = JSON.parse(raw.subarray(8, 8 + n).toString('utf8'));
  const metadata = header.__metadata__ ?? {};
  delete header.__metadata__;
  const tensors = {};
  for (const [name, { dtype, shape, data_offsets: [begin, end] }] of Object.entries(header)) {
    if (dtype !== 'F32') throw new Error(`safetensors: ${path}: tensor ${name} is ${dtype}, expected F32`);
    // Copy out: the file's data section need not be 4-byte aligned in the Buffer pool.
    const bytes = raw.subarray(8 + n + begin, 8 + n + end);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    tensors[name] = { shape, data };
  }
  return { tensors, metadata };
}
