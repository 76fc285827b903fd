// Where the field app's imports take their time in Pyodide, under Node (a quick experiment, not the
// figures that count: those are the browser's, bench/pwa_bench.py). No part of the build or the tests.
//
//   node bench/pwa_imports.mjs BUILD PYODIDE BYTECODE_DIR 0 keep   # import from source, keep the bytecode
//   node bench/pwa_imports.mjs BUILD PYODIDE BYTECODE_DIR 0        # import with it: seconds per step
//   node bench/pwa_imports.mjs BUILD PYODIDE BYTECODE_DIR 1        # the same, -X importtime to stderr
//
// BUILD: a `levee pwa build` folder; PYODIDE: flet_web's web/pyodide folder in the venv. It unpacks
// app.tar.gz and the kept bytecode as python-worker.js does and imports what mobile/pwa/device.py's
// run() imports before the first page.
import fs from "node:fs";
import zlib from "node:zlib";
const [build, pyodideDir, bcDir, importtime, keep] = process.argv.slice(2);
const HOME = "/home/pyodide";
function untar(data) {
  const files = []; const text = new TextDecoder();
  const field = (o, l) => { const raw = data.subarray(o, o + l); const e = raw.indexOf(0); return text.decode(e < 0 ? raw : raw.subarray(0, e)); };
  let offset = 0, pax = null;
  while (offset + 512 <= data.length) {
    if (data[offset] === 0) break;
    let name = field(offset, 100);
    const size = parseInt(field(offset + 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(data[offset + 156] || 48);
    const prefix = field(offset + 345, 155); if (prefix) name = prefix + "/" + name;
    const body = data.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") { for (const r of text.decode(body).split("\n")) { const m = /^\d+ path=(.*)$/.exec(r); if (m) pax = m[1]; } continue; }
    if (type === "0" || type === "\0") files.push([pax || name, body]); pax = null;
  }
  return files;
}
function unblob(data) {
  const files = []; const view = new DataView(data.buffer, data.byteOffset, data.byteLength); const text = new TextDecoder(); let o = 0;
  while (o < data.length) { const n = view.getUint32(o, true); const name = text.decode(data.subarray(o + 4, o + 4 + n)); o += 4 + n; const s = view.getUint32(o, true); files.push([name, data.subarray(o + 4, o + 4 + s)]); o += 4 + s; }
  return files;
}
const t0 = performance.now();
const lap = (n) => console.log(`[${((performance.now() - t0) / 1000).toFixed(2)}] ${n}`);
const { loadPyodide } = await import(pyodideDir + "/pyodide.mjs");
const files = untar(new Uint8Array(zlib.gunzipSync(fs.readFileSync(build + "/app.tar.gz"))));
const haveBc = bcDir && fs.existsSync(bcDir + "/stdlib.zip") && !keep;
if (haveBc) { files.push(...unblob(new Uint8Array(fs.readFileSync(bcDir + "/app.bin")))); files.push(["/lib/levee-stdlib.zip", new Uint8Array(fs.readFileSync(bcDir + "/stdlib.zip"))]); }
const env = {}; if (haveBc) env.PYTHONPATH = "/lib/levee-stdlib.zip"; if (importtime === "1") env.PYTHONPROFILEIMPORTTIME = "1";
let err = [];
const py = await loadPyodide({ indexURL: pyodideDir + "/", env, stdout: (t) => console.log(t), stderr: (t) => err.push(t),
  fsInit: (FS) => { const made = new Set(); for (const [name, bytes] of files) { const p = name.startsWith("/") ? name : HOME + "/" + name; const d = p.slice(0, p.lastIndexOf("/")); if (!made.has(d)) { FS.mkdirTree(d); made.add(d); } FS.writeFile(p, bytes); } } });
lap("pyodide loaded");
py.runPython(`
import os, sys, time
os.chdir("${HOME}"); sys.path.insert(0, "__pypackages__")
t=time.perf_counter(); import mobile.pwa.device; t1=time.perf_counter()
import flet; t2=time.perf_counter()
from mobile.app import main; t3=time.perf_counter()
print(f"device {t1-t:.2f} flet {t2-t1:.2f} app {t3-t2:.2f} total {t3-t:.2f}  modules {len(sys.modules)}")
`);
lap("imported");
if (keep) {
  await py.runPythonAsync(`
from mobile.pwa.bytecode import compile_imported
import js
s, a = await compile_imported()
open("/tmp_s","wb").write(s); open("/tmp_a","wb").write(a)
`);
  fs.mkdirSync(bcDir, { recursive: true });
  fs.writeFileSync(bcDir + "/stdlib.zip", py.FS.readFile("/tmp_s")); fs.writeFileSync(bcDir + "/app.bin", py.FS.readFile("/tmp_a"));
  lap("kept");
}
if (importtime === "1") process.stderr.write(err.join("\n") + "\n");
else if (err.length) console.log(err.slice(-20).join("\n"));
