#!/usr/bin/env node
// Static server for the FHNet-Web page, no dependencies: serves web/ at /, the WebAssembly module
// (build/wasm/fecg.{js,wasm}) at /wasm/ and uPlot (node_modules/uplot/dist) at /vendor/uplot/,
// with correct MIME types and the COOP/COEP headers that make the page cross-origin isolated
// (SharedArrayBuffer, threads). Listens on 127.0.0.1 only: the recording never leaves the machine.
//
//   node scripts/serve.mjs [--port 8080] [--host 127.0.0.1]     (or PORT=8080)
//
// Prints "FHNet-Web: http://127.0.0.1:8080/" once listening. --port 0 picks a free port (tests).
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// URL prefix → directory, and for /wasm/ the only files it may serve (nothing else of build/).
const MOUNTS = [
  { prefix: '/wasm/', dir: join(ROOT, 'build', 'wasm'), only: new Set(['fecg.js', 'fecg.wasm']) },
  { prefix: '/vendor/uplot/', dir: join(ROOT, 'node_modules', 'uplot', 'dist') },
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
};

// The same policy as web/index.html's meta tag, also sent as a header because a Web Worker gets
// its policy from its own response, not from the page. 'wasm-unsafe-eval' lets the page compile
// WebAssembly without allowing eval().
export const CSP = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'",
  "connect-src 'self'", "img-src 'self' blob: data:", "style-src 'self'", "object-src 'none'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

function parseArgs(argv) {
  const opts = { port: Number(process.env.PORT ?? 8080), host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`serve: ${a} expects a value`);
      return argv[++i];
    };
    if (a === '--port') opts.port = Number(value());
    else if (a.startsWith('--port=')) opts.port = Number(a.slice(7));
    else if (a === '--host') opts.host = value();
    else if (a === '-h' || a === '--help') {
      console.log('usage: node scripts/serve.mjs [--port N] [--host 127.0.0.1]');
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

function securityHeaders() {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
}

export function startServer({ port = 8080, host = '127.0.0.1' } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = securityHeaders();
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
    res.writeHead(200, {
      ...headers,
      'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': st.size,
    });
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
