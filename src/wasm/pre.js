// Prepended (--pre-js) inside the createFecgModule factory of build/wasm/fecg.js.
// Emscripten 3.1.6's EXPORT_ES6 output still reads CommonJS's __dirname in node (and require()
// when it must read fecg.wasm itself), neither of which exists in an ES module. The directory
// comes from the wrapper's _scriptDir (import.meta.url) instead; the binary must be handed over as Module.wasmBinary
// (node 20's fetch() cannot read file paths either), which is checked here with a clear message.
var __dirname = '';
if (typeof process == 'object' && typeof process.versions == 'object' && typeof process.versions.node == 'string' &&
    typeof importScripts != 'function') {
  __dirname = decodeURIComponent(new URL('.', _scriptDir).pathname);
  if (!Module['wasmBinary'] && !Module['instantiateWasm']) {
    throw new Error('createFecgModule: in node, pass the module its binary: ' +
                    "createFecgModule({ wasmBinary: fs.readFileSync('build/wasm/fecg.wasm') })");
  }
}

// Calls analyze()'s onProgress for the C++ side without letting a JS exception unwind through
// the WASM stack (which would skip C++ destructors and leak the pipeline's buffers): returns 1 to
// go on, 0 to cancel, or the thrown value's message as a string, which C++ turns into an error.
Module['__fecgCallProgress'] = function (onProgress, fraction, stage) {
  try {
    return onProgress(fraction, stage) === false ? 0 : 1;
  } catch (e) {
    return 'onProgress threw: ' + (e && e.message !== undefined ? e.message : String(e));
  }
};

// The same for analyzeStream()'s onChunk (1 to go on, 0 to cancel, or the error's message) and
// for the read() of a stream source (its Uint8Array, or the error's message as a string).
Module['__fecgCallChunk'] = function (onChunk, chunk) {
  try {
    return onChunk(chunk) === false ? 0 : 1;
  } catch (e) {
    return 'onChunk threw: ' + (e && e.message !== undefined ? e.message : String(e));
  }
};
Module['__fecgCallRead'] = function (source, offset, length) {
  try {
    return source.read(offset, length);
  } catch (e) {
    return 'read threw: ' + (e && e.message !== undefined ? e.message : String(e));
  }
};
