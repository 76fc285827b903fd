// The field app's service worker (written by `levee pwa build`, mobile/pwa/build.py): every file of
// build __LEVEE_BUILD__ is precached under that version at install, and served from the cache, so the
// app starts with no network. A new build installs beside the old one and waits (no skipWaiting): it
// takes over at the next start, once no page of the old one is open; then the old cache is dropped.
// The API (/api) is never cached or touched; the device's data lives in IndexedDB, not here.
const VERSION = "__LEVEE_BUILD__";
const CACHE = "levee-app-" + VERSION;
const FILES = "__LEVEE_FILES__";
const BASE = new URL("./", self.location).pathname;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: "reload" }))))
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        const old = (key.startsWith("levee-app-") && key !== CACHE) ||
          (key.startsWith("levee-bytecode-") && key !== "levee-bytecode-" + VERSION); // python-worker.js's
        if (old) await caches.delete(key);
      }
      await self.clients.claim();
    })()
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith(BASE)) {
    return; // the API and anything else: straight to the network
  }
  let path = url.pathname.slice(BASE.length);
  if (request.mode === "navigate" || path === "") path = "index.html";
  // Flutter asks for Noto fallback fonts for characters it looks up; the bundled CJK font draws every
  // Chinese character, so each such request gets a font with none (no request fails offline)
  if (path.startsWith("fallback-fonts/")) path = "fonts/LeveeFallback.otf";
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match(path);
      return hit || fetch(request);
    })()
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "version" && event.source) event.source.postMessage({ version: VERSION });
});
