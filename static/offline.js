// Loa offline, loaded on every page: registers the service worker, shows whether the phone is
// offline and how many entries wait in IndexedDB, and hands form[data-offline] submissions to
// offline-queue.js (loaded only when there is something to send or show).
(() => {
  const bar = document.getElementById("offline-bar");
  const user = bar ? +bar.dataset.user : 0;
  const ls = localStorage, S = { items: [], auth: false };
  const H = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  const uuid = () => crypto.randomUUID ? crypto.randomUUID() : "10000000-1000-4000-8000-100000000000".replace(/[018]/g,
    (c) => (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16));

  let dbp, qp;
  const db = () => dbp || (dbp = new Promise((ok, ko) => {
    const r = indexedDB.open("loa-offline", 1);
    r.onupgradeneeded = () => r.result.createObjectStore("queue", { keyPath: "id" });
    r.onsuccess = () => ok(r.result);
    r.onerror = () => ko(r.error);
  }));
  // Runs fn(store) in one transaction; resolves with the result of the request fn returns.
  const tx = (mode, fn) => db().then((d) => new Promise((ok, ko) => {
    const t = d.transaction("queue", mode), r = fn(t.objectStore("queue"));
    t.oncomplete = () => ok(r && r.result);
    t.onerror = () => ko(t.error);
  }));
  const queue = () => qp || (qp = new Promise((ok, ko) => {
    const s = document.createElement("script");
    s.src = bar.dataset.queue;
    s.onload = () => ok(window.loaQueue);
    s.onerror = () => { qp = null; ko(); };
    document.head.append(s);
  }));
  const when = (iso) => {
    const d = new Date(iso), t = d.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
    return d.toDateString() === new Date().toDateString() ? t : t + " " + d.toLocaleDateString("vi-VN", { day: "2-digit", month: "2-digit" });
  };

  function render(expand) {
    const items = S.items, n = items.length, last = ls.getItem("loa.sent");
    const full = expand || /^\/(activities\/home|offline)/.test(location.pathname) || items.some((e) => e.status !== "waiting");
    // Nothing waiting (nor sent from this page), online, away from the home screen: no bar at all.
    if (n) S.had = true;
    if (!n && !full && !S.had && navigator.onLine) { bar.hidden = true; bar.innerHTML = ""; return; }
    let html = navigator.onLine ? "" : `<p class="ob-offline" role="status">Đang ngoại tuyến</p>`;
    if (S.auth && n) html += `<p class="alert warn ob-auth">Phiên đăng nhập đã hết hạn — <a href="/login?next=${encodeURIComponent(location.pathname)}">đăng nhập lại để gửi</a>.</p>`;
    html += `<p class="ob-line"><span class="ob-count">${n ? (full ? `<b>Chờ gửi (${n})</b>` : `<a href="/activities/home">${n} chờ gửi</a>`) : "Không có mục chờ gửi"}</span>${
      last ? ` · <span class="ob-last">lần gửi cuối lúc ${when(last)}</span>` : ""}${n && navigator.onLine ? `<button type="button" data-act="send">Gửi ngay</button>` : ""}</p>`;
    bar.innerHTML = html;
    bar.hidden = false;
    if (n && full) queue().then((q) => { if (items === S.items) bar.insertAdjacentHTML("beforeend", q.list(items)); }, () => {});
  }

  async function refresh(expand) {
    try {
      S.items = (await tx("readonly", (s) => s.getAll())).sort((a, b) => a.queued_at < b.queued_at ? -1 : 1);
    } catch (err) { S.items = []; }
    render(expand);
  }

  const flush = () => S.items.length && queue().then((q) => q.flush(), () => {});

  function today() {
    const d = new Date();
    return new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  // A new entry gets a new client id; a form page kept from another day gets today's date.
  function freshForm(form) {
    const id = form.elements.id, date = form.elements.start_date;
    if (!id || form.elements.version) return;
    id.value = uuid();
    if (date && date.type === "date" && date.value && date.value < today() && date.defaultValue === date.value) date.value = date.defaultValue = today();
  }

  window.loaOffline = { S, H, user, tx, refresh, render, when, freshForm, uuid };
  if (!bar || !window.indexedDB) return;

  const css = document.createElement("style");
  css.textContent = `#offline-bar{background:#fff;border-bottom:1px solid var(--line);padding:.3rem .75rem;font-size:.9rem}
.ob-line{display:flex;flex-wrap:wrap;gap:.2rem .4rem;align-items:center;max-width:1100px;margin:0 auto}
.ob-line button{min-height:36px;padding:.2rem .7rem;margin-left:auto}
.ob-offline{margin:-.3rem -.75rem .3rem;padding:.35rem;background:#3c4043;color:#fff;font-weight:600;text-align:center}
.ob-auth{max-width:1100px;margin:.3rem auto}
@media(min-width:720px){.ob-line,.ob-list{padding:0 1.25rem}}`;
  document.head.append(css);
  bar.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-act]");
    if (b) queue().then((q) => q.act(b));
  });

  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (form.matches("form[action='/logout']")) {
      ls.removeItem("loa.warm");
      const sw = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (sw) sw.postMessage({ type: "forget" });
    } else if (form.matches("form[data-offline]")) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      queue().then((q) => q.submit(form, ev.submitter), () => navigator.onLine ? form.submit() : alert("Chưa lưu được: trang này chưa sẵn sàng dùng khi không có mạng."));
    }
  }, true);

  // htmx could not fetch the choices for a new date: use the copy kept for offline use.
  document.addEventListener("htmx:sendError", (ev) => {
    const form = ev.target.closest && ev.target.closest("form[data-offline]");
    if (form) queue().then((q) => q.choices(form));
  });
  addEventListener("online", () => refresh().then(flush));
  addEventListener("offline", () => render());

  const m = location.hash.match(/^#queued=([\w-]+)/);
  for (const form of document.querySelectorAll("form[data-offline]")) {
    if (m) queue().then((q) => q.fill(form, m[1])); else freshForm(form);
  }
  const missing = document.getElementById("offline-missing");
  if (missing && location.pathname !== "/offline") missing.hidden = false;
  refresh().then(flush);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").then(() => navigator.serviceWorker.ready).then((reg) => {
      const stamp = JSON.parse(ls.getItem("loa.warm") || "{}");
      if (!navigator.onLine || (stamp.user === user && Date.now() - stamp.at < 6 * 3600e3)) return;
      navigator.serviceWorker.addEventListener("message", (e) => {
        if (e.data && e.data.type === "warmed" && e.data.pages) ls.setItem("loa.warm", JSON.stringify({ user, at: Date.now() }));
      });
      reg.active.postMessage({ type: "warm", urls: [location.pathname + location.search] });
    }).catch(() => {});
  }
})();
