// The field app's Python worker (written by `levee pwa build`, mobile/pwa/build.py), in place of Flet's
// python-worker.js: the same protocol towards the page (python.js) and the same Pyodide, plus what
// makes a start fast (docs/performance.md, "Field app in the browser"):
//
// * The page starts this worker at once (levee-boot.js), while Flutter loads; Flutter's `jsConnect`
//   (python.js) then only says "connect".
// * The app archive is unpacked here in JavaScript (the browser's gzip, a small tar reader) straight
//   into Emscripten's file system before Python starts: no tarfile/shutil imports, no Python gzip.
// * Bytecode: Pyodide's Python ships its standard library as sources and cannot keep the .pyc it
//   compiles (a memory file system). After the first start, once the app is up, the Python side
//   (mobile/pwa/bytecode.py) compiles what was imported and hands it here; it is kept in Cache Storage
//   under the build's version ("levee-bytecode-<build>") and every later start unpacks it beside the
//   sources (the app's and the wheels' .pyc; a standard library zip with .pyc in front of Pyodide's).
//   A new build never sees another build's bytecode; a missing or broken cache only costs time.
import "./levee-store.js";

const HOME = "/home/pyodide";
const STDLIB_PYC = "/lib/levee-stdlib.zip";
const timeOrigin = performance.timeOrigin;
self.flet_js = {}; // the namespace Flet's Python side (PyodideConnection) talks through
let config = null;
let started = null;

function mark(name) {
  self.postMessage({ leveeTiming: [name, timeOrigin + performance.now()] });
}
self.leveeMark = mark;
// mobile/pwa/device.py: a tap's event to its IndexedDB commit, and the commit alone (ms).
self.leveeTap = (durableMs, commitMs) => self.postMessage({ leveeTap: [durableMs, commitMs] });

function bytecodeCache() {
  return caches.open("levee-bytecode-" + config.build);
}
function bytecodeUrl(name) {
  return config.base + "levee-bytecode/" + name;
}

async function cachedBytecode() {
  if (!self.caches) return null;
  try {
    const cache = await bytecodeCache();
    const [stdlib, app] = await Promise.all([
      cache.match(bytecodeUrl("stdlib.zip")),
      cache.match(bytecodeUrl("app.bin")),
    ]);
    if (!stdlib || !app) return null;
    const [s, a] = await Promise.all([stdlib.arrayBuffer(), app.arrayBuffer()]);
    return { stdlib: new Uint8Array(s), app: new Uint8Array(a) };
  } catch (error) {
    console.warn("Levee: no bytecode cache:", error);
    return null;
  }
}

// Python calls this (mobile/pwa/bytecode.py) with the bytecode of the first start.
self.leveeKeepBytecode = async (stdlibZip, appBlob) => {
  const cache = await bytecodeCache();
  const bytes = (x) => (x instanceof Uint8Array ? x : x.toJs());
  await cache.put(bytecodeUrl("stdlib.zip"), new Response(bytes(stdlibZip)));
  await cache.put(bytecodeUrl("app.bin"), new Response(bytes(appBlob)));
  mark("bytecode kept");
};

async function gunzip(response) {
  if (!response.ok) throw new Error(`Failed to download app package: HTTP ${response.status} ${response.url}`);
  const stream = response.body.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Regular files of a tar archive (ustar, with the pax "path" records Python's tarfile writes for long
// names): [[path, bytes], ...].
function untar(data) {
  const files = [];
  const text = new TextDecoder();
  const field = (offset, length) => {
    const raw = data.subarray(offset, offset + length);
    const end = raw.indexOf(0);
    return text.decode(end < 0 ? raw : raw.subarray(0, end));
  };
  let offset = 0;
  let paxPath = null;
  while (offset + 512 <= data.length) {
    if (data[offset] === 0) break; // the two zero blocks at the end
    let name = field(offset, 100);
    const size = parseInt(field(offset + 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(data[offset + 156] || 48);
    const prefix = field(offset + 345, 155);
    if (prefix) name = prefix + "/" + name;
    const body = data.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      for (const record of text.decode(body).split("\n")) {
        const m = /^\d+ path=(.*)$/.exec(record);
        if (m) paxPath = m[1];
      }
      continue;
    }
    if (type === "0" || type === "\0") files.push([paxPath || name, body]);
    paxPath = null;
  }
  return files;
}

// The app's bytecode blob of mobile/pwa/bytecode.py: (u32 name length, name, u32 size, bytes)...
function unblob(data) {
  const files = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder();
  let offset = 0;
  while (offset < data.length) {
    const n = view.getUint32(offset, true);
    const name = text.decode(data.subarray(offset + 4, offset + 4 + n));
    offset += 4 + n;
    const size = view.getUint32(offset, true);
    files.push([name, data.subarray(offset + 4, offset + 4 + size)]);
    offset += 4 + size;
  }
  return files;
}

function writeAll(FS, files) {
  const made = new Set();
  for (const [name, bytes] of files) {
    const path = name.startsWith("/") ? name : HOME + "/" + name;
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (!made.has(dir)) {
      FS.mkdirTree(dir);
      made.add(dir);
    }
    FS.writeFile(path, bytes);
  }
}

async function start() {
  mark("worker started");
  const archive = fetch(config.appPackageUrl).then(gunzip);
  const bytecode = cachedBytecode().then((found) => {
    mark(found ? "bytecode found" : "no bytecode");
    return found;
  });
  const { loadPyodide } = await import(config.pyodideUrl);
  // Pyodide's download and compilation start now, while the kept bytecode is read from Cache Storage
  // (~20 MB); both are only needed when the file system is set up (fsInit). The kept standard library
  // is always on PYTHONPATH: on a start without it the entry names no file and Python skips it.
  let cached = null;
  self.pyodide = await loadPyodide({
    stdout: (text) => console.log(text),
    stderr: (text) => console.error(text),
    env: { PYTHONPATH: STDLIB_PYC },
    fsInit: async (FS) => {
      const [tar, found] = await Promise.all([archive, bytecode]);
      cached = found;
      const files = untar(tar);
      if (cached) {
        files.push(...unblob(cached.app));
        files.push([STDLIB_PYC, cached.stdlib]);
      }
      writeAll(FS, files);
      mark("app unpacked");
    },
  });
  mark("pyodide loaded");
  self.pyodide.registerJsModule("flet_js", self.flet_js);
  self.flet_js.documentUrl = config.documentUrl;
  self.leveeBytecodeCached = Boolean(cached);
  await self.pyodide.runPythonAsync(`
import os, runpy, sys
os.chdir("${HOME}")
sys.path.insert(0, "__pypackages__")
runpy.run_module(${JSON.stringify(config.pythonModuleName)}, run_name="__main__")
`);
  if (typeof self.flet_js.start_connection !== "function") throw new Error("the app did not start Flet");
  mark("python ready");
}

self.onmessage = async (event) => {
  const data = event.data;
  if (config === null) {
    config = data; // {pyodideUrl, appPackageUrl, pythonModuleName, documentUrl, build, base}
    started = start();
    started.catch((error) => console.error("Levee: the Python worker did not start:", error));
  } else if (data === "connect") {
    try {
      await started;
      await self.flet_js.start_connection(receive);
      self.postMessage("initialized");
    } catch (error) {
      self.postMessage(String(error));
    }
  } else if (typeof self.flet_js.send === "function") {
    self.flet_js.send(data);
  } else {
    console.error("Levee: dropped a message for a Python app that never started.");
  }
};

function receive(message) {
  const bytes = message.toJs();
  self.postMessage(bytes, [bytes.buffer]);
}
self.flet_js.receive_callback = receive;
