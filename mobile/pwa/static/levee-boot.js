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
var levee = { build: "__LEVEE_BUILD__", serviceWorker: null };

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
