#!/usr/bin/env node
// Static server for the FHNet-Web page, no dependencies: serves web/ at /, the WebAssembly module
// (build/wasm/fecg.{js,wasm}) at /wasm/, the model (models/fhnet.{json,safetensors,onnx}) at
// /models/, uPlot (node_modules/uplot/dist) at /vendor/uplot/, pdf-lib and fflate at
// /vendor/pdf-lib/ and /vendor/fflate/ and ONNX Runtime Web's WASM backend
// (node_modules/onnxruntime-web/dist) at /vendor/ort/, with correct MIME types and the COOP/COEP
// headers that make the page cross-origin isolated (SharedArrayBuffer, threads). Responses are
// compressed (brotli or gzip, as the client accepts) and carry an ETag, so that a revisit costs a
// 304. Listens on 127.0.0.1 only: the recording never leaves the machine.
//
//   node scripts/serve.mjs [--port 8080] [--host 127.0.0.1] [--no-isolation]    (or PORT=8080)
//
// Prints "FHNet-Web: http://127.0.0.1:8080/" once listening. --port 0 picks a free port (tests).
// --no-isolation leaves out COOP/COEP: the page then runs on one thread (what a plain static host
// gives), which the tests check too.
import { createServer } from 'node:http';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// URL prefix → directory, and for /wasm/ the only files it may serve (nothing else of build/).
const MOUNTS = [
  { prefix: '/wasm/', dir: join(ROOT, 'build', 'wasm'), only: new Set(['fecg.js', 'fecg.wasm']) },
  { prefix: '/models/', dir: join(ROOT, 'models'), only: new Set(['fhnet.json', 'fhnet.safetensors', 'fhnet.onnx']) },
  { prefix: '/vendor/uplot/', dir: join(ROOT, 'node_modules', 'uplot', 'dist') },
  // The report's PDF writer and the share package's ZIP writer: their self-contained ES builds only.
  { prefix: '/vendor/pdf-lib/', dir: join(ROOT, 'node_modules', 'pdf-lib', 'dist'), only: new Set(['pdf-lib.esm.min.js']) },
  { prefix: '/vendor/fflate/', dir: join(ROOT, 'node_modules', 'fflate', 'esm'), only: new Set(['browser.js']) },
  // ONNX Runtime Web, WASM backend only (SIMD, threads when cross-origin isolated): its ES module
  // and the Emscripten module + binary it loads from ort.env.wasm.wasmPaths (web/worker.js).
  {
    prefix: '/vendor/ort/', dir: join(ROOT, 'node_modules', 'onnxruntime-web', 'dist'),
    only: new Set(['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']),
  },
  { prefix: '/', dir: join(ROOT, 'web') },
];

// Browsers refuse ES modules and streaming WebAssembly compilation without the right types.
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

// Compressed on first request and kept in memory (keyed by file, size and mtime). Brotli's best
// quality (11) takes seconds per MB: used up to 4 MB (the page, our module, the model); ONNX
// Runtime's 14 MB binary gets quality 9, so that its first request is not held for long. Images
// are compressed already.
const INCOMPRESSIBLE = new Set(['.png', '.ico']);
const BROTLI_BEST_MAX_BYTES = 4 << 20;
const compressedCache = new Map();

function chooseEncoding(acceptEncoding, ext) {
  if (INCOMPRESSIBLE.has(ext)) return null;
  const accepted = new Set(String(acceptEncoding ?? '').split(',').map((e) => e.split(';')[0].trim().toLowerCase()));
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

function compressedBody(file, st, encoding) {
  const key = `${encoding}:${file}:${st.size}:${st.mtimeMs}`;
  let body = compressedCache.get(key);
  if (!body) {
    const raw = readFileSync(file);
    body = encoding === 'br'
      ? brotliCompressSync(raw, {
        params: {
          [zlibConstants.BROTLI_PARAM_QUALITY]: raw.length <= BROTLI_BEST_MAX_BYTES ? 11 : 9,
          [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length,
        },
      })
      : gzipSync(raw, { level: 9 });
    compressedCache.set(key, body);
  }
  return body;
}

// The same policy as web/index.html's meta tag, also sent as a header because a Web Worker gets
// its policy from its own response, not from the page. 'wasm-unsafe-eval' lets the page compile
// WebAssembly without allowing eval().
export const CSP = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'",
  "connect-src 'self'", "img-src 'self' blob: data:", "style-src 'self'", "object-src 'none'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

function parseArgs(argv) {
  const opts = { port: Number(process.env.PORT ?? 8080), host: '127.0.0.1', isolation: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`serve: ${a} expects a value`);
      return argv[++i];
    };
    if (a === '--port') opts.port = Number(value());
    else if (a.startsWith('--port=')) opts.port = Number(a.slice(7));
    else if (a === '--host') opts.host = value();
    else if (a === '--no-isolation') opts.isolation = false;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node scripts/serve.mjs [--port N] [--host 127.0.0.1] [--no-isolation]');
      process.exit(0);
    } else throw new Error(`serve: unknown option ${a}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Error(`serve: port must be an integer 0..65535, found ${opts.port}`);
  }
  return opts;
}

// Maps a URL path to a file inside one mount, or null (never outside the mount: no "..").
// Exported for the page tests, which check that every file the page loads is ours or pinned.
export function resolvePath(urlPath) {
  let path;
  try { path = decodeURIComponent(urlPath); } catch { return null; }
  if (path.includes('\0')) return null;
  if (path.endsWith('/')) path += 'index.html';
  for (const m of MOUNTS) {
    if (!path.startsWith(m.prefix)) continue;
    const rel = path.slice(m.prefix.length);
    if (m.only && !m.only.has(rel)) return null;
    const file = normalize(join(m.dir, rel));
    if (file !== m.dir && !file.startsWith(m.dir + sep)) return null;
    return file;
  }
  return null;
}

function securityHeaders(isolation) {
  return {
    ...(isolation ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
}

// `isolation`: send COOP/COEP (cross-origin isolated: SharedArrayBuffer, ORT Web on 2 threads).
export function startServer({ port = 8080, host = '127.0.0.1', isolation = true } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = securityHeaders(isolation);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
      res.end('method not allowed\n');
      return;
    }
    const file = resolvePath(url.pathname);
    let st = null;
    try { st = file ? statSync(file) : null; } catch { st = null; }
    if (!st || !st.isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`not found: ${url.pathname}\n`);
      return;
    }
    const ext = extname(file).toLowerCase();
    const encoding = chooseEncoding(req.headers['accept-encoding'], ext);
    // The ETag names the file version and the encoding (a gzip body is not a brotli body).
    const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}${encoding ? `-${encoding}` : ''}"`;
    const common = { ...headers, ETag: etag, Vary: 'Accept-Encoding' };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, common);
      res.end();
      return;
    }
    const type = MIME[ext] ?? 'application/octet-stream';
    if (encoding) {
      let body;
      try { body = compressedBody(file, st, encoding); } catch { res.destroy(); return; }
      res.writeHead(200, { ...common, 'Content-Type': type, 'Content-Encoding': encoding, 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(200, { ...common, 'Content-Type': type, 'Content-Length': st.size });
    if (req.method === 'HEAD') { res.end(); return; }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try { opts = parseArgs(process.argv.slice(2)); } catch (e) { console.error(e.message); process.exit(2); }
  startServer(opts).then((server) => {
    const { port } = server.address();
    console.log(`FHNet-Web: http://${opts.host}:${port}/`);
  }, (e) => { console.error(`serve: cannot listen on ${opts.host}:${opts.port}: ${e.message}`); process.exit(1); });
}
