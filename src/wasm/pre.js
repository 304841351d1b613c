// Prepended (--pre-js) inside the createFecgModule factory of build/wasm/fecg.js: node support, the
// callbacks' try/catch helpers, and the defaults of the optional arguments (at the end).

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

// The optional trailing arguments of the JS API (web/fecg.d.ts). Embind requires every declared
// argument, and src/wasm/bindings.cpp binds each C++ function once with its full arity; here each
// is wrapped, under the same name, to give the arguments left out their defaults: an options
// object left out is {} (every option at the core's default), a callback left out is null (none).
// A call with fewer than the required arguments, or more than all, is refused with Embind's
// BindingError, worded as Embind words it for a function bound with several arities.
var FECG_NO_OPTIONS = Object.freeze({});
function fecgIsGiven(value) { return value !== undefined; }

// owner[name](required arguments..., optional ones...) with defaults[k] for the k-th optional
// one where how.isGiven(it) is false (default: where it is undefined). how.humanName names the
// function in the arity error (default: name).
function fecgOptionalArguments(owner, name, required, defaults, how) {
  how = how || {};
  var humanName = how.humanName || name;
  var isGiven = how.isGiven || fecgIsGiven;
  var bound = owner[name];
  var arity = required + defaults.length;
  var counts = [];
  for (var n = required; n <= arity; ++n) counts.push(n);
  owner[name] = function () {
    var args = Array.prototype.slice.call(arguments);
    if (args.length < required || args.length > arity) {
      throw new Module['BindingError']("Function '" + humanName + "' called with an invalid number of arguments (" +
                                       args.length + ') - expects one of (' + counts + ')!');
    }
    for (var i = args.length; i < arity; ++i) args.push(undefined);
    for (var k = 0; k < defaults.length; ++k) {
      if (!isGiven(args[required + k])) args[required + k] = defaults[k];
    }
    return bound.apply(this, args);
  };
}

function fecgInstallOptionalArguments() {
  var none = FECG_NO_OPTIONS;
  fecgOptionalArguments(Module, 'openRecording', 2, [none]);              // (bytes, fileName, options)
  fecgOptionalArguments(Module, 'analyze', 1, [none, null]);              // (recording, options, onProgress)
  fecgOptionalArguments(Module, 'analyzeStream', 1, [none, null, null]);  // (stream, options, onProgress, onChunk)
  fecgOptionalArguments(Module, 'captureFhnetWindows', 1, [none, null]);  // (recording, options, onProgress)
  fecgOptionalArguments(Module, 'simulate', 0, [none]);                   // (options)
  fecgOptionalArguments(Module['Result'].prototype, 'explainWindow', 1, [none],
                        { humanName: 'Result.explainWindow' });          // (i, options)
  // (reference, test, fsHz, toleranceS): ±50 ms, the CLI's tolerance (eval/metrics.h score_beats);
  // anything but a number means the default, as it always has.
  fecgOptionalArguments(Module, 'scoreBeats', 3, [0.05], { isGiven: function (v) { return typeof v === 'number'; } });
}

// The Embind declarations register while the runtime initialises; onRuntimeInitialized runs after
// that and before anything awaiting createFecgModule() resumes (its promise settles in a later
// microtask). A caller's own onRuntimeInitialized still runs, after the wrappers are in place.
var fecgCallerOnRuntimeInitialized = Module['onRuntimeInitialized'];
Module['onRuntimeInitialized'] = function () {
  fecgInstallOptionalArguments();
  if (fecgCallerOnRuntimeInitialized) fecgCallerOnRuntimeInitialized.apply(this, arguments);
};
