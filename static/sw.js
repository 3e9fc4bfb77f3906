// Loa's service worker: static files from the cache, pages from the network with the last copy
// as fallback, so the home screen and the logging forms open with no signal. POSTs are never cached.
const VERSION = "__VERSION__";
const STATIC = __STATIC__;
const MORE = __MORE__;
const PAGES = __PAGES__;
const STATIC_CACHE = "loa-static-" + VERSION;
const PAGE_CACHE = "loa-pages";
const NETWORK_WAIT = 6000;
const MAX_PAGES = 80;
const PASS = /^\/(sw\.js|login|logout|api\/|offline\/session|manifest)/;

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(STATIC_CACHE).then((c) => c.addAll(STATIC)).catch(() => {}).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("loa-static-") && k !== STATIC_CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function keep(res) {
  return res && res.ok && !res.redirected && res.type === "basic";
}

async function store(url, res) {
  if (!keep(res)) return;
  const c = await caches.open(PAGE_CACHE);
  await c.put(url, res);
  const keys = await c.keys();
  // The oldest pages go first; the pages kept for offline use are fetched again at each warm-up.
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_PAGES))) await c.delete(k);
}

// Fetches the pages a reporter needs offline; asked for by the page once signed in.
async function warm(extra) {
  const urls = [...new Set([...PAGES, ...(extra || [])])];
  const c = await caches.open(STATIC_CACHE);
  await Promise.all([...STATIC, ...MORE].map((u) => c.match(u).then((hit) => hit || c.add(u)).catch(() => {})));
  let ok = 0;
  for (const u of urls) {
    try {
      const res = await fetch(u, { credentials: "same-origin", cache: "no-cache" });
      if (keep(res)) { await store(u, res); ok++; }
    } catch (err) { /* offline again: keep what we have */ }
  }
  return ok;
}

self.addEventListener("message", (e) => {
  const msg = e.data || {};
  const reply = (data) => e.source && e.source.postMessage(data);
  if (msg.type === "warm") e.waitUntil(warm(msg.urls).then((n) => reply({ type: "warmed", pages: n })));
  if (msg.type === "forget") e.waitUntil(caches.delete(PAGE_CACHE).then(() => reply({ type: "forgotten" })));
});

async function fromCache(req) {
  const c = await caches.open(PAGE_CACHE);
  return (await c.match(req, { ignoreVary: true })) || null;
}

async function networkFirst(req, isPage) {
  const network = fetch(req).then(async (res) => {
    const type = res.headers.get("Content-Type") || "";
    if (/html|json/.test(type) && !(res.headers.get("Cache-Control") || "").includes("no-store")) await store(req.url, res.clone());
    return res;
  });
  network.catch(() => {});
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT, null));
  try {
    const res = await Promise.race([network, timeout.then(() => fromCache(req))]);
    if (res && res.status < 500) return res;
    const cached = await fromCache(req);
    if (cached) return cached;
    return res || await network;
  } catch (err) {
    const cached = await fromCache(req);
    if (cached) return cached;
    if (isPage) {
      const fallback = await caches.match("/offline", { ignoreVary: true });
      if (fallback) return fallback;
    }
    return Response.error();
  }
}

async function staticFile(req, url) {
  const hit = await caches.match(req);
  if (hit) return hit;
  const c = await caches.open(STATIC_CACHE);
  try {
    const res = await fetch(req);
    if (keep(res) && url.search) await c.put(req, res.clone());
    return res;
  } catch (err) {
    // A page cached before an update names older file versions: serve the newest copy of that file.
    return (await c.match(req, { ignoreSearch: true })) || Response.error();
  }
}

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== location.origin || PASS.test(url.pathname)) return;
  if (url.pathname.startsWith("/static/")) {
    e.respondWith(staticFile(req, url));
    return;
  }
  const isPage = req.mode === "navigate";
  if (isPage || url.pathname === "/offline/bootstrap.json") e.respondWith(networkFirst(req, isPage));
});
