// Flet's web client configuration for the field app served at __LEVEE_BASE__ (written by
// `levee pwa build`, mobile/pwa/build.py), the service worker, and the network events the Python
// worker hears. A file of its own, not an inline script: the Content-Security-Policy allows none.
var flet = {
  pyodide: true,
  multiView: false,
  noCdn: true,
  webSocketEndpoint: "/ws",
  entrypointBaseUrl: "__LEVEE_BASE__",
  assetBase: "__LEVEE_BASE__",
  routeUrlStrategy: "hash",
  canvasKitBaseUrl: "__LEVEE_BASE__canvaskit/",
  pyodideUrl: "__LEVEE_BASE__pyodide/pyodide.mjs",
  webRenderer: "canvaskit",
  fontFallbackBaseUrl: "__LEVEE_BASE__fallback-fonts/",
  appPackageUrl: "__LEVEE_BASE__app.tar.gz",
  pythonModuleName: "main",
  micropipIncludePre: false,
};
var levee = { build: "__LEVEE_BUILD__", serviceWorker: null, timings: [], taps: [] };

// Start-up timings (ms since the page's navigation began), from the page and from the Python worker:
// `levee.timings` ([[name, ms], ...]) and performance marks "levee:<name>"; and each tap's time to
// durable, `levee.taps` ([[event to IndexedDB commit, the commit alone], ...] in ms, python.js).
// bench/pwa_bench.py reads them.
levee.mark = (name, at) => {
  const ms = at === undefined ? performance.now() : at;
  levee.timings.push([name, Math.round(ms)]);
  if (performance.mark) performance.mark("levee:" + name, { startTime: ms });
};
levee.timing = ([name, epochMs]) => levee.mark(name, epochMs - performance.timeOrigin);

// The Python worker starts now, while Flutter loads (python.js's jsConnect takes it over).
levee.startWorker = () => {
  const worker = new Worker("__LEVEE_BASE__python-worker.js", { type: "module" });
  worker.onmessage = (event) => {
    if (event.data && event.data.leveeTiming) levee.timing(event.data.leveeTiming);
  };
  worker.postMessage({
    pyodideUrl: flet.pyodideUrl,
    appPackageUrl: flet.appPackageUrl,
    pythonModuleName: flet.pythonModuleName,
    documentUrl: document.URL,
    build: levee.build,
    base: "__LEVEE_BASE__",
  });
  return worker;
};
levee.worker = levee.startWorker();
levee.takeWorker = () => {
  const worker = levee.worker || levee.startWorker();
  levee.worker = null;
  return worker;
};

flet.flutterAppLoaded = new Promise((resolve) => {
  flet.flutterAppResolve = resolve;
});

if ("serviceWorker" in navigator) {
  // A new build installs beside the running one and waits: it takes over at the next start, when no
  // page of the old one is open (never in the middle of work).
  levee.serviceWorker = navigator.serviceWorker
    .register("__LEVEE_BASE__sw.js", { scope: "__LEVEE_BASE__", updateViaCache: "none" })
    .catch((error) => console.error("Levee: service worker not registered:", error));
}
if (navigator.storage && navigator.storage.persist) {
  // Ask the browser not to evict the replica and the unsent taps under storage pressure.
  navigator.storage.persist().then((granted) => (levee.persistent = granted));
}
const leveeNetwork = new BroadcastChannel("levee-network");
window.addEventListener("online", () => leveeNetwork.postMessage({ online: true }));
window.addEventListener("offline", () => leveeNetwork.postMessage({ online: false }));
