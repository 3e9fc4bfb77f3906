// Loa offline queue: sends a logging form with fetch (Accept: application/json) and, when the
// network is down, slow or the server unreachable, keeps the entry and its photos in IndexedDB
// under the activity's client id; sends the queue oldest first, one at a time, and shows each
// waiting entry with the server's answer (field errors, conflicts) for the officer to act on.
(() => {
  const L = window.loaOffline, S = L.S, H = L.H, ls = localStorage;
  const $ = (s, r) => (r || document).querySelector(s);
  const get = (id) => L.tx("readonly", (s) => s.get(id));
  const put = (e) => L.tx("readwrite", (s) => s.put(e));
  const drop = (id) => L.tx("readwrite", (s) => s.delete(id));
  // A server error path ("title", "body.title", "details.channel") → the form field it is about.
  const field = (path, form) => {
    const p = String(path), names = [p, p.replace(/^body\./, ""), p.split(".")[0], p.split(".").pop()];
    return names.find((n) => form && form.elements[n]) || names[1];
  };
  const REUSED = ["details.channel", "details.language", "airings", "minutes_per_airing", "agency_id"];
  let flushing = false, failures = 0, timer = 0;

  const css = document.createElement("style");
  css.textContent = `.ob-list{max-width:1100px;margin:.3rem auto}.ob-item.error,.ob-item.conflict{background:var(--err-bg);padding:.5rem}
.ob-errors{margin:.2rem 0;padding-left:1.1rem;color:var(--err)}.ob-diff{margin:.4rem 0;font-size:.85rem;table-layout:fixed;overflow-wrap:anywhere}
.ob-diff th{white-space:normal}.ob-item .actions{margin:.3rem 0 0 -.6rem}.ob-item .actions>*{display:inline-flex;align-items:center;min-height:36px;padding:.3rem .6rem}`;
  document.head.append(css);

  // When a JPEG was taken (EXIF DateTimeOriginal, "YYYY:MM:DD HH:MM:SS"), or null.
  function takenAt(buf) {
    try {
      const d = new DataView(buf);
      if (d.getUint16(0) !== 0xFFD8) return null;
      for (let p = 2; p + 10 < d.byteLength; p += 2 + d.getUint16(p + 2)) {
        const marker = d.getUint16(p);
        if (marker === 0xFFDA || (marker & 0xFF00) !== 0xFF00) return null;
        if (marker !== 0xFFE1 || d.getUint32(p + 4) !== 0x45786966) continue; // APP1 "Exif"
        const t = p + 10, le = d.getUint16(t) === 0x4949;
        const u16 = (o) => d.getUint16(t + o, le), u32 = (o) => d.getUint32(t + o, le);
        const entry = (ifd, tag) => {
          for (let i = 0, n = u16(ifd); i < n; i++) if (u16(ifd + 2 + i * 12) === tag) return ifd + 2 + i * 12;
          return -1;
        };
        const exif = entry(u32(4), 0x8769), at = exif < 0 ? -1 : entry(u32(exif + 8), 0x9003);
        if (at < 0) return null;
        let s = "";
        for (let i = 0; i < 19; i++) s += String.fromCharCode(d.getUint8(t + u32(at + 8) + i));
        return /^\d{4}:\d\d:\d\d \d\d:\d\d:\d\d$/.test(s) ? s : null;
      }
    } catch (err) { /* a truncated or odd header: no date */ }
    return null;
  }

  // The JPEG with an EXIF block holding only DateTimeOriginal (no place, camera or orientation).
  function withTakenAt(jpeg, when) {
    const t = new DataView(new ArrayBuffer(64)), set16 = (o, v) => t.setUint16(o, v), set32 = (o, v) => t.setUint32(o, v);
    set16(0, 0x4D4D); set16(2, 42); set32(4, 8);                                      // big-endian TIFF, IFD0 at 8
    set16(8, 1); set16(10, 0x8769); set16(12, 4); set32(14, 1); set32(18, 26); set32(22, 0); // → Exif IFD at 26
    set16(26, 1); set16(28, 0x9003); set16(30, 2); set32(32, 20); set32(36, 44); set32(40, 0); // DateTimeOriginal at 44
    for (let i = 0; i < 19; i++) t.setUint8(44 + i, when.charCodeAt(i));
    const app1 = new Uint8Array([0xFF, 0xD8, 0xFF, 0xE1, 0, 72, 0x45, 0x78, 0x69, 0x66, 0, 0]);
    return new Blob([app1, t.buffer, jpeg.slice(2)], { type: "image/jpeg" });
  }

  // A phone photo is resized (≤ 1600 px, JPEG) before it is sent or queued, for slow links; it
  // keeps the time it was taken, which the server keeps too.
  async function shrink(f) {
    if (!/^image\/(jpeg|png|webp)$/.test(f.type) || f.size < 400000) return f;
    try {
      const when = f.type === "image/jpeg" ? takenAt(await f.slice(0, 131072).arrayBuffer()) : null;
      const img = await createImageBitmap(f, { imageOrientation: "from-image" });
      const k = Math.min(1, 1600 / Math.max(img.width, img.height)), c = document.createElement("canvas");
      c.width = Math.round(img.width * k);
      c.height = Math.round(img.height * k);
      c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
      let b = await new Promise((r) => c.toBlob(r, "image/jpeg", 0.85));
      if (b && when) b = withTakenAt(b, when);
      return b && b.size < f.size ? new File([b], f.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg", lastModified: f.lastModified }) : f;
    } catch (err) { return f; }
  }

  // A field's label as the officer reads it (without the required mark, hints, errors or options).
  function labelOf(el) {
    const l = el.labels && el.labels[0];
    if (!l) return el.name;
    const c = l.cloneNode(true);
    for (const x of c.querySelectorAll("select,textarea,.field-error,.hint,.req,i")) x.remove();
    return c.textContent.replace(/\s+/g, " ").trim() || el.name;
  }

  async function capture(form, submitter) {
    const fields = [], files = [], labels = {}, options = {};
    for (const [k, v] of new FormData(form)) {
      if (typeof v === "string") fields.push([k, v]);
      else if (v.size) files.push([k, await shrink(v)]);
    }
    if (submitter && submitter.name) fields.push([submitter.name, submitter.value]);
    for (const el of form.elements) {
      if (!el.name || el.type === "hidden" || labels[el.name]) continue;
      labels[el.name] = labelOf(el);
      if (el.tagName === "SELECT" && el.options.length < 300) {
        options[el.name] = {};
        for (const o of el.options) options[el.name][o.value] = o.text;
      }
    }
    const v = (k) => (fields.find((f) => f[0] === k) || [])[1];
    return {
      id: v("id") || L.uuid(), url: new URL(form.action, location.href).pathname, page: location.pathname + location.search,
      title: v("title") || document.title.split("·")[0].trim(), date: v("start_date") || "",
      fields, files, labels, options, user: L.user, queued_at: new Date().toISOString(), status: "waiting", error: null,
    };
  }

  async function send(entry, token) {
    const body = new FormData();
    for (const [k, v] of entry.fields) body.append(k, k === "csrf_token" && token ? token : v);
    for (const [k, f] of entry.files) body.append(k, f, f.name || "anh.jpg");
    const size = entry.files.reduce((n, f) => n + f[1].size, 0);
    const ctl = new AbortController(), t = setTimeout(() => ctl.abort(), 15000 + size / 20);
    const headers = { Accept: "application/json" };
    if (token) headers["X-CSRF-Token"] = token;
    try {
      return await fetch(entry.url, { method: "POST", body, headers, credentials: "same-origin", signal: ctl.signal });
    } finally { clearTimeout(t); }
  }

  // The server's answer as one of: sent, auth, invalid (422), conflict (409), csrf, retry.
  async function outcome(res) {
    if ((res.redirected && new URL(res.url).pathname === "/login") || res.status === 401) return { kind: "auth" };
    let data = {};
    try { data = await res.json(); } catch (err) { /* an HTML answer */ }
    if (res.ok) return { kind: "sent", data };
    if (res.status === 422) return { kind: "invalid", data };
    if (res.status === 409 && data.current) return { kind: "conflict", data };
    if (res.status >= 500 || [403, 408, 429].includes(res.status)) {
      return { kind: "retry", data: { message: "Máy chủ chưa nhận (lỗi " + res.status + "), sẽ gửi lại sau." } };
    }
    return { kind: "invalid", data: { message: data.message || "Máy chủ không nhận mục này (lỗi " + res.status + ").", errors: data.errors } };
  }

  async function settle(entry, r) {
    if (r.kind === "sent") {
      await drop(entry.id);
      ls.setItem("loa.sent", new Date().toISOString());
      return;
    }
    entry.status = { invalid: "error", conflict: "conflict" }[r.kind] || "waiting";
    entry.error = r.data || null;
    entry.current = r.kind === "conflict" ? r.data.current : null;
    await put(entry);
  }

  function later() {
    failures++;
    clearTimeout(timer);
    timer = setTimeout(flush, Math.min(120000, 4000 * 2 ** failures));
  }

  async function sendAll() {
    const list = S.items.filter((e) => e.status === "waiting" && (!e.user || e.user === L.user));
    if (!list.length) return;
    let s;
    try {
      const res = await fetch("/offline/session", { cache: "no-store", credentials: "same-origin" });
      s = res.status === 401 ? null : await res.json();
    } catch (err) { return later(); }
    S.auth = !s;
    if (!s) return;
    for (const entry of list) {
      let r;
      try { r = await outcome(await send(entry, s.csrf_token)); } catch (err) { return later(); }
      if (r.kind === "auth") { S.auth = true; return; }
      await settle(entry, r);
      failures = 0;
      await L.refresh();
    }
  }

  async function flush() {
    if (flushing || !L.user) return;
    flushing = true;
    try {
      await L.refresh();
      await (navigator.locks ? navigator.locks.request("loa-flush", sendAll) : sendAll());
    } finally {
      flushing = false;
      await L.refresh();
    }
  }

  // --- the form ------------------------------------------------------------------------------------
  function notice(form, cls, html) {
    let n = $(".offline-notice", form.parentNode);
    if (!n) { n = document.createElement("div"); form.before(n); }
    n.className = "offline-notice alert " + cls;
    n.innerHTML = html;
    n.scrollIntoView({ block: "nearest" });
  }

  function clearErrors(form) {
    for (const old of form.querySelectorAll(".field-error")) old.remove();
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    for (const el of form.querySelectorAll("label.bad")) el.classList.remove("bad");
  }

  // The server's errors beside each field, as the form shows them without JavaScript.
  function showErrors(form, data) {
    clearErrors(form);
    const loose = [];
    for (const e of (data && data.errors) || []) {
      const el = form.elements[field(e.path, form)], target = el && (el.nodeType ? el : el[0]);
      if (!target || target.type === "hidden") { loose.push(e.message); continue; }
      target.setAttribute("aria-invalid", "true");
      const p = document.createElement("span"), label = target.closest("label");
      p.className = "field-error";
      p.textContent = e.message;
      if (label) { label.classList.add("bad"); label.append(p); } else target.after(p);
    }
    const marked = form.querySelectorAll(".field-error").length;
    notice(form, "error", (marked ? `Chưa lưu được: vui lòng sửa ${marked} chỗ được đánh dấu bên dưới.` : H((data && data.message) || "Dữ liệu chưa hợp lệ.")) +
      (loose.length ? "<br>" + H(loose.join(" ")) : ""));
    const first = $("[aria-invalid=true]", form);
    if (first) first.focus();
  }

  async function keep(form, entry, why) {
    await put(entry);
    clearErrors(form);
    form.reset();
    L.freshForm(form);
    if (form.dataset.offlineChoices) await choices(form);
    // The next entry starts from this one's channel and minutes, as the server's form would.
    for (const [k, v] of entry.fields) {
      const el = form.elements[k];
      if (REUSED.includes(k) && el && el.nodeType === 1) el.value = v;
    }
    notice(form, "ok", "Đã lưu trên máy, sẽ gửi khi có mạng." + (why ? ` <span class="muted">${H(why)}</span>` : ""));
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    await L.refresh();
    if (navigator.onLine) later();
  }

  async function submit(form, submitter) {
    const buttons = form.querySelectorAll("[type=submit]");
    for (const b of buttons) b.disabled = true;
    try {
      const entry = await capture(form, submitter);
      if (!navigator.onLine) return await keep(form, entry);
      let r;
      try { r = await outcome(await send(entry)); } catch (err) { return await keep(form, entry, "Mạng yếu hoặc mất kết nối."); }
      if (r.kind === "sent") {
        await settle(entry, r);
        const id = r.data.id || entry.id;
        // An edit says what the server's redirect says: sent (again) for review, or only saved.
        const sent = r.data && r.data.status === "submitted";
        const word = sent ? ("returned" in form.dataset ? "resent" : "sent") : "1";
        location.assign(form.dataset.next || (entry.url === "/activities" ? "/activities/home?saved=" + id : entry.url + "?saved=" + word));
      } else if (r.kind === "invalid") {
        showErrors(form, r.data);
      } else if (r.kind === "conflict") {
        await settle(entry, r);
        await L.refresh(true);
        notice(form, "warn", "Hoạt động này đã được thay đổi trên máy chủ. <a href='#offline-bar'>Xem hai bản và chọn bản giữ lại</a>.");
      } else {
        if (r.kind === "auth") S.auth = true;
        await keep(form, entry, r.kind === "auth" ? "Phiên đăng nhập đã hết hạn." : r.data && r.data.message);
      }
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  // Opens a queued entry in its form for editing (files included); saving replaces it in the queue.
  async function fill(form, id) {
    const e = await get(id);
    if (!e) return L.freshForm(form);
    const vals = {};
    for (const [k, v] of e.fields) (vals[k] = vals[k] || []).push(v);
    for (const el of form.elements) {
      if (!el.name || el.name === "csrf_token" || /file|submit|button/.test(el.type)) continue;
      const v = vals[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") el.checked = v.includes(el.value);
      else if (el.multiple) for (const o of el.options) o.selected = v.includes(o.value);
      else if (v.length) el.value = v[0];
    }
    for (const [k, f] of e.files) {
      const input = form.elements[k];
      if (!input || !window.DataTransfer) continue;
      const dt = new DataTransfer();
      for (const x of input.files) dt.items.add(x);
      dt.items.add(f instanceof File ? f : new File([f], "anh.jpg", { type: f.type }));
      input.files = dt.files;
    }
    if (e.status === "error" && e.error) showErrors(form, e.error);
    else notice(form, "warn", "Bạn đang sửa một mục chờ gửi" + (e.files.length ? ` (${e.files.length} ảnh kèm theo)` : "") + ".");
  }

  // Without a connection the date's units, tasks and agencies come from the copy kept on the phone
  // (the same lists the form offers online for that date).
  async function choices(form) {
    const day = form.elements.start_date && form.elements.start_date.value;
    let data;
    try { data = await (await fetch("/offline/bootstrap.json", { credentials: "same-origin" })).json(); } catch (err) { return; }
    if (!day || !data.units) return;
    form.dataset.offlineChoices = "1";
    const valid = (x) => (!x.valid_from || x.valid_from <= day) && (!x.valid_to || x.valid_to >= day);
    const legacy = day <= "2025-06-30", era = data.default_units.find((d) => (d.day <= "2025-06-30") === legacy) || {};
    const refill = (select, rows, empty, text, fallback) => {
      if (!select || select.tagName !== "SELECT") return;
      const keep = select.value;
      select.innerHTML = (empty ? `<option value="">${empty}</option>` : "") +
        rows.map((r) => `<option value="${r.id}">${H(text(r))}</option>`).join("");
      select.value = rows.some((r) => String(r.id) === keep) ? keep : String(fallback || (empty ? "" : (rows[0] || {}).id || ""));
    };
    const units = data.units.filter(valid);
    refill(form.elements.unit_id, units, units.length ? "" : "Không có đơn vị nào vào ngày này",
      (u) => (u.level === "village" ? "· " : "") + u.name, era.unit_id);
    refill(form.elements.task_ids, data.tasks.filter((t) => t.period_start <= day && t.period_end >= day),
      "Không thuộc nhiệm vụ nào", (t) => t.title);
    refill(form.elements.agency_id, data.agencies.filter(valid), "—", (a) => a.short_name || a.name);
  }

  // --- the list of waiting entries -------------------------------------------------------------
  const STATUS = { waiting: "Chờ gửi", error: "Máy chủ chưa nhận — cần sửa", conflict: "Xung đột — cần chọn" };
  const LABELS = { draft: "Nháp", submitted: "Đã gửi", approved: "Đã duyệt", returned: "Trả lại" };
  const norm = (v) => [].concat(v == null ? [] : v).join(",").split(",").map((x) => x.trim().replace(/^(\d{1,3}(\.\d{3})+)$/, (n) => n.replace(/\./g, ""))).filter((x) => x && x !== "0").sort().join(",");
  const same = (a, b) => norm(a) === norm(b);
  const show = (e, k, v) => {
    if (v == null || v === "") return "—";
    const o = e.options[k];
    return H(o && o[v] != null ? o[v] : Array.isArray(v) ? v.join(", ") : v);
  };

  function conflict(e) {
    const cur = e.current || {}, mine = {};
    for (const [k, v] of e.fields) mine[k] = k in mine ? [].concat(mine[k], v) : v;
    let rows = "";
    for (const k in mine) {
      if (["csrf_token", "id", "version", "type", "status"].includes(k)) continue;
      const s = k.startsWith("details.") ? (cur.details || {})[k.slice(8)] : cur[k];
      if (s === undefined || same(s, mine[k])) continue;
      rows += `<tr><th>${H(e.labels[k] || k)}</th><td>${show(e, k, mine[k])}</td><td>${show(e, k, s)}</td></tr>`;
    }
    const status = cur.status ? `<p class="muted">Trên máy chủ: <span class="badge ${H(cur.status)}">${H(LABELS[cur.status] || cur.status)}</span>${
      cur.review_comment ? " · Ý kiến người duyệt: " + H(cur.review_comment) : ""}</p>` : "";
    return `${status}<div class="table-wrap"><table class="ob-diff"><tr><th></th><th>Bản của tôi</th><th>Bản trên máy chủ</th></tr>${
      rows || "<tr><td colspan=3>Không khác ở các trường đã nhập.</td></tr>"}</table></div>
      <p class="actions"><button type="button" data-act="mine" data-id="${H(e.id)}">Giữ bản của tôi</button>
      <button type="button" data-act="theirs" data-id="${H(e.id)}">Giữ bản trên máy chủ</button></p>`;
  }

  function item(e) {
    const other = e.user && e.user !== L.user, err = e.error || {};
    const errs = e.status === "error" ? `<span class="field-error">${H(err.message || "")}</span><ul class="ob-errors">${
      (err.errors || []).map((x) => `<li>${H(e.labels[field(x.path)] || e.labels[x.path] || x.path)}: ${H(x.message)}</li>`).join("")}</ul>` : "";
    const retry = e.status === "waiting" && err.message ? `<span class="muted">${H(err.message)}</span>` : "";
    return `<li class="ob-item ${H(e.status)}" data-id="${H(e.id)}"><b>${H(e.title)}</b>
      <span class="muted">${H(e.date.split("-").reverse().join("/"))} · lưu lúc ${L.when(e.queued_at)}${e.files.length ? " · " + e.files.length + " ảnh" : ""} ·
      <span class="ob-status">${other ? "Của tài khoản khác" : STATUS[e.status] || ""}</span></span>${errs}${retry}
      ${e.status === "conflict" ? conflict(e) : ""}
      <span class="actions"><a href="${H(e.page)}#queued=${H(e.id)}">Mở, sửa</a>
      <button type="button" class="link" data-act="discard" data-id="${H(e.id)}">Bỏ</button></span></li>`;
  }

  const list = (items) => `<ul class="list ob-list">${items.map(item).join("")}</ul>`;

  async function act(b) {
    if (b.dataset.act === "send") { failures = 0; return flush(); }
    const id = b.dataset.id, e = await get(id);
    if (!e) return;
    if (b.dataset.act === "discard" && !confirm(`Bỏ mục chờ gửi "${e.title}"? Dữ liệu này sẽ bị xóa khỏi máy.`)) return;
    if (b.dataset.act === "mine") {
      // The server holds this record now, so mine goes as an edit of the server's version.
      e.url = "/activities/" + e.id;
      e.fields = e.fields.filter((f) => f[0] !== "version").concat([["version", String(e.current.version)]]);
      Object.assign(e, { status: "waiting", error: null, current: null });
      await put(e);
      return flush();
    }
    await drop(id);
    await L.refresh();
  }

  window.loaQueue = { submit, flush, fill, list, act, choices };
})();
