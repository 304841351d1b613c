// Helpers shared by the browser test files (tests/browser/*.test.mjs): starting the page's server
// and Debian's Chromium, and reading the PNG files that screenshots and the page's report produce.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(ROOT, 'build', 'test-artifacts');
export const HAVE_WASM = (() => {
  try { readFileSync(join(ROOT, 'build', 'wasm', 'fecg.js')); readFileSync(join(ROOT, 'build', 'wasm', 'fecg.wasm')); return true; } catch { return false; }
})();

// Serves the page on a free port and opens it in headless Chromium at 1280×800; every request
// and every console error is recorded. close() ends both. The page's service worker (web/sw.js,
// tested in engines.test.mjs) is blocked here, so that page.route() sees every request.
export async function openPage({ viewport = { width: 1280, height: 800 } } = {}) {
  const server = await startServer({ port: 0 });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profileDir = mkdtempSync(join(tmpdir(), 'fecg-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport,
    serviceWorkers: 'block',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const requests = [];
  const consoleErrors = [];
  context.on('request', (r) => requests.push({ url: r.url(), type: r.resourceType() }));
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  async function close() {
    await context.close();
    await new Promise((r) => server.close(r));
    rmSync(profileDir, { recursive: true, force: true });
  }
  return { server, origin, context, page, requests, consoleErrors, close };
}

// Minimal PNG decoder (8-bit RGB/RGBA, non-interlaced: what Chromium writes) → {width, height,
// channels, pixels}. PNG spec (W3C, 2003): IHDR, zlib-compressed IDAT, one filter byte per row.
export function decodePng(buf) {
  assert.equal(buf.readUInt32BE(0), 0x89504e47, 'png: signature');
  let off = 8, width = 0, height = 0, colorType = 0;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'png: 8-bit depth expected');
      colorType = data[9];
      assert.equal(data[12], 0, 'png: non-interlaced expected');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  assert.ok(channels, `png: colour type ${colorType} not handled`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[y * stride + x - channels] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[y * stride + x] = v & 0xff;
    }
  }
  return { width, height, channels, pixels: px };
}

// A picture is "not blank" when it has many colours and a good share of pixels differ from its
// most common colour (the background): thresholds far below what a page with text and plots
// gives, far above a blank or single-colour page. `name` only labels the failure.
export function assertPngNotBlank(png, name) {
  const { width, height, channels, pixels } = png;
  const counts = new Map();
  for (let i = 0; i < width * height; i += 3) {
    const o = i * channels;
    const key = (pixels[o] << 16) | (pixels[o + 1] << 8) | pixels[o + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = Math.ceil((width * height) / 3);
  const top = Math.max(...counts.values());
  assert.ok(counts.size >= 50, `${name}: only ${counts.size} distinct colours (blank?)`);
  assert.ok(1 - top / total >= 0.05, `${name}: ${((1 - top / total) * 100).toFixed(1)} % non-background pixels (blank?)`);
}

export function assertNotBlank(file) { assertPngNotBlank(decodePng(readFileSync(file)), file); }

// Variance of the grey level (0..255) over all pixels: 0 for a uniform picture.
export function greyVariance({ width, height, channels, pixels }) {
  let sum = 0, sum2 = 0;
  const n = width * height;
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    const g = (pixels[o] + pixels[o + 1] + pixels[o + 2]) / 3;
    sum += g; sum2 += g * g;
  }
  return sum2 / n - (sum / n) ** 2;
}

// Bands of consecutive rows that each have at least `minInk` pixels darker than `level` (out of
// 255), as [top, bottom) pairs of at least `minRows` rows. A plot (frame, grid, traces) makes one
// tall band; a line of text makes a band about as tall as its font; blank rows separate them.
export function inkBands({ width, height, channels, pixels }, { level = 200, minInk = 2, minRows = 1 } = {}) {
  const bands = [];
  let start = -1;
  for (let y = 0; y <= height; y++) {
    let ink = 0;
    if (y < height) {
      for (let x = 0; x < width && ink < minInk; x++) {
        const o = (y * width + x) * channels;
        if ((pixels[o] + pixels[o + 1] + pixels[o + 2]) / 3 < level) ink++;
      }
    }
    if (ink >= minInk && start < 0) start = y;
    if (ink < minInk && start >= 0) {
      if (y - start >= minRows) bands.push([start, y]);
      start = -1;
    }
  }
  return bands;
}
