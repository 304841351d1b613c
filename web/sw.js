// The page's service worker: after the first visit FHNet-Web works offline. It caches the page
// and the WebAssembly module when it installs (the page registers it once the engine is up, so
// these come from the HTTP cache as 304s), with every file the page itself loaded (the page
// sends their list: a module added to the page needs no entry here), and the report's libraries,
// the model and ONNX Runtime Web's files (about 4 MB compressed) when the page asks, after its
// first result, so that they never delay it.
//
// Strategy: network first, the cache when the network fails. The page always runs the files the
// server has now (a rebuilt module, a newly exported model: the model card and its weights stay
// a matching pair), and the cache only stands in when offline. Every same-origin GET that
// succeeds refreshes its cache entry. Responses keep their headers (COOP/COEP, CSP), so an
// offline page is as isolated and as locked down as an online one.

const CACHE = 'fhnet-web-v2';
const CORE = [
  './', 'app.js', 'report.js', 'explain.js', 'ctg.js', 'morphology.js', 'worker.js', 'long_recordings.js', 'style.css',
  'plain_errors.js', 'reliability.js', 'reference_beats.js', 'sections.js', 'fhir.js',
  'vendor/uplot/uPlot.esm.js', 'vendor/uplot/uPlot.min.css',
  'wasm/fecg.js', 'wasm/fecg.wasm', 'models/fhnet.json',
];
// After the first result: the report's and the share package's libraries (pdf-lib, fflate: about
// 190 kB compressed, loaded by the page only when a report is made), the model, ONNX Runtime Web.
const EXTRAS = [
  'vendor/pdf-lib/pdf-lib.esm.min.js', 'vendor/fflate/browser.js',
  'models/fhnet.safetensors', 'models/fhnet.onnx',
  'vendor/ort/ort.wasm.min.mjs', 'vendor/ort/ort-wasm-simd-threaded.mjs', 'vendor/ort/ort-wasm-simd-threaded.wasm',
];

// Caches each file on its own: one that is missing (the module not built yet) leaves the others.
async function cacheAll(paths) {
  const cache = await caches.open(CACHE);
  await Promise.allSettled(paths.map(async (path) => {
    const response = await fetch(path);
    if (response.ok) await cache.put(path, response);
  }));
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheAll(CORE).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

// Messages from the page: {type: 'cache', paths} (the files it loaded) and {type: 'cache-extras'}.
self.addEventListener('message', (event) => {
  const msg = event.data ?? {};
  if (msg.type === 'cache-extras') event.waitUntil(cacheAll(EXTRAS));
  if (msg.type === 'cache' && Array.isArray(msg.paths)) {
    const ours = msg.paths.filter((p) => typeof p === 'string' && p.startsWith('/') && !p.startsWith('//'));
    event.waitUntil(cacheAll(ours.map((p) => `.${p}`)));
  }
});

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(request, copy)).catch(() => {});
    }
    return response;
  } catch (error) {
    const cached = await caches.match(request, { ignoreSearch: true });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(networkFirst(request));
});
