// Resumable uploads for the materials page (tus 1.0 at /files/). The plain form
// still works without this file; here photos are made ~2 MP JPEGs, sent in
// 256 KiB chunks, retried with backoff and resumed after drops or reloads. The POST
// that creates an upload carries its odd-sized first part (size mod 256 KiB): one
// round trip less per file, and a POST short enough that a drop rarely catches it
// (its answer would bring the upload's address).
(() => {
  const CHUNK = 262144, MAXPX = 2e6, W = window, doc = document;
  const subtle = W.crypto && crypto.subtle;
  const csrf = (doc.querySelector("meta[name=csrf-token]") || {}).content || "";
  const EN = {
    preparing: "Preparing photo…", uploading: "Uploading {pct}% ({done} of {total} MB)",
    retry: "Connection lost — will retry in {s} s", resuming: "Resuming…",
    done: "Received", failed: "The upload did not work. Please try again.",
  };
  let nf;
  try {
    nf = new Intl.NumberFormat(doc.documentElement.lang, {minimumFractionDigits: 1, maximumFractionDigits: 1});
  } catch (e) { /* keep toFixed */ }
  const mb = (n) => (nf ? nf.format(n / 1048576) : (n / 1048576).toFixed(1));

  // localStorage: ls(k) reads, ls(k, v) writes, ls(k, null) removes; never throws.
  const ls = (k, v) => {
    try {
      if (v === undefined) return JSON.parse(localStorage.getItem(k));
      v ? localStorage.setItem(k, JSON.stringify(v)) : localStorage.removeItem(k);
    } catch (e) { /* private mode or disabled storage: no resume */ }
  };
  // Bytes per second of this browser's chunks, smoothed (static/estimate.js reads it).
  const speed = (bytes, ms) => {
    const now = bytes / Math.max(ms, 1) * 1000, was = +ls("ov-speed") || now;
    ls("ov-speed", Math.round(was * 0.7 + now * 0.3));
  };
  const b64 = (buf) => btoa(String.fromCharCode.apply(null, new Uint8Array(buf)));
  const sha1 = async (b) => (subtle ? b64(await subtle.digest("SHA-1", b)) : "");

  // Waiters for the next retry; the `online` event wakes them all at once.
  const wakers = new Set();
  W.addEventListener("online", () => wakers.forEach((f) => f()));
  const wait = (secs, tick) => new Promise((done) => {
    const end = () => { clearInterval(t); wakers.delete(end); done(); };
    const t = setInterval(() => (--secs > 0 ? tick(secs) : end()), 1000);
    wakers.add(end);
    tick(secs);
  });

  // One tus request; resolves with the XHR (status 0 = network error or stall).
  const req = (method, url, headers, body, progress) => new Promise((done) => {
    const x = new XMLHttpRequest();
    let idle;
    const kick = () => { clearTimeout(idle); idle = setTimeout(() => x.abort(), 60000); };
    x.open(method, url);
    headers = Object.assign({"Tus-Resumable": "1.0.0", "X-CSRFToken": csrf}, headers);
    for (const k in headers) x.setRequestHeader(k, headers[k]);
    x.upload.onprogress = (e) => { kick(); progress && progress(e.loaded); };
    x.onprogress = kick;
    x.onloadend = () => { clearTimeout(idle); done(x); };
    kick();
    x.send(body || null);
  });

  // Give up an upload this browser started: only while unfinished (a finished one's
  // DELETE would take its file off the case, and the slot already shows that file).
  const drop = async (url) => {
    const h = await req("HEAD", url);
    if (h.status == 200 && +h.getResponseHeader("Upload-Offset") < +h.getResponseHeader("Upload-Length")) req("DELETE", url);
  };

  // A decodable photo as a JPEG of at most 2 MP (never upscaled); undefined otherwise.
  const shrink = async (file) => {
    try {
      const bm = await createImageBitmap(file);
      const k = Math.min(1, Math.sqrt(MAXPX / (bm.width * bm.height)));
      const c = doc.createElement("canvas"), g = c.getContext("2d");
      c.width = Math.max(1, Math.floor(bm.width * k));
      c.height = Math.max(1, Math.floor(bm.height * k));
      g.fillStyle = "#fff"; // transparent PNG pixels become white, as on the server
      g.fillRect(0, 0, c.width, c.height);
      g.imageSmoothingQuality = "high";
      g.drawImage(bm, 0, 0, c.width, c.height);
      bm.close && bm.close();
      // Quality 0.8: text stays sharp at 2 MP, and a page is ~16 % lighter than at 0.85
      // (on a 400 kbit/s link, about 1.3 s less per photo).
      return await new Promise((done) => c.toBlob(done, "image/jpeg", 0.8));
    } catch (e) { /* not decodable here (e.g. HEIC): the server handles the original */ }
  };

  // The status line under a form: a <progress> and a text.
  const ui = (form) => {
    let box = form.nextElementSibling;
    if (!box || box.className.indexOf("upstat") < 0) {
      box = doc.createElement("div");
      box.className = "upstat";
      box.setAttribute("role", "status");
      box.innerHTML = '<progress max="100"></progress><p></p>';
      form.after(box);
    }
    const bar = box.firstChild, line = box.lastChild;
    // pct: null = indeterminate, undefined = unchanged. state: "busy" (ticks,
    // not announced), "err", or "" (announced).
    return (text, pct, state) => {
      if (pct === null) bar.removeAttribute("value"); else if (pct >= 0) bar.value = pct;
      line.textContent = text;
      line.className = state == "err" ? "error" : "";
      box.classList.toggle("err", state == "err");
      box.setAttribute("aria-busy", state == "busy");
    };
  };

  const run = async (form, file) => {
    const d = form.dataset, key = "ov-tus:" + d.case + ":" + d.material;
    const btn = form.querySelector("[type=submit]"), slot = form.closest(".slot");
    const say = ui(form);
    const msg = (k, v) => (d["msg" + k[0].toUpperCase() + k.slice(1)] || EN[k])
      .replace(/\{(\w+)\}/g, (m, n) => (v && n in v ? v[n] : m));
    let ok = false;
    form.ovBusy = btn.disabled = true;
    slot && slot.classList.remove("has-error");
    try {
      let blob = file, name = file.name;
      if (!/pdf$/i.test(file.type) && !/\.pdf$/i.test(name) && /jpeg/.test(d.formats)) {
        say(msg("preparing"), null, "busy");
        const small = await shrink(file);
        if (small) { blob = small; name = name.replace(/\.[^.]*$/, "") + ".jpg"; }
      }
      const size = blob.size, sum = subtle && blob.arrayBuffer ? await sha1(await blob.arrayBuffer()) : "";
      const show = (n) => {
        const pct = Math.floor((n * 100) / size);
        say(msg("uploading", {pct: pct, done: mb(n), total: mb(size)}), pct, "busy");
      };
      // The part at ``off`` (a chunk, or ``n`` bytes) with its headers (its SHA-1 where
      // the browser can make one).
      const piece = async (off, n) => {
        const part = blob.slice(off, off + (n || CHUNK)), h = {"Content-Type": "application/offset+octet-stream"};
        if (!subtle || !part.arrayBuffer) return {body: part, h: h, size: part.size};
        const body = await part.arrayBuffer();
        h["Upload-Checksum"] = "sha1 " + (await sha1(body));
        return {body: body, h: h, size: part.size};
      };
      // Same original file and same bytes to send: continue the stored upload.
      const old = ls(key);
      let url = old && old.name == file.name && old.size == file.size &&
        old.lastModified == file.lastModified && old.sum == sum ? old.url : null;
      if (old && !url) { ls(key, null); drop(old.url); } // abandoned: free it
      let head = !!url, off = 0, delay = 1, bad = 0, last, r;
      const meta = Object.entries({case: d.case, material: d.material, filename: name, lang: d.lang})
        .map(([k, v]) => k + " " + btoa(unescape(encodeURIComponent(v || "")))).join(",");
      for (;;) {
        last = false;
        if (!url) { // creation with upload: the POST carries the odd-sized first part
          const p = await piece(0, (size - 1) % CHUNK + 1), t0 = Date.now();
          last = p.size >= size;
          show(0);
          r = await req("POST", "/files/", Object.assign({"Upload-Length": size, "Upload-Metadata": meta}, p.h),
            p.body, (n) => show(Math.min(n, p.size)));
          if (r.status == 201) {
            url = r.getResponseHeader("Location");
            off = +r.getResponseHeader("Upload-Offset") || 0;
            if (off && p.size >= 65536) speed(p.size, Date.now() - t0);
            ls(key, {url: url, size: file.size, name: file.name, lastModified: file.lastModified, sum: sum});
            if (off >= size) break;
            continue;
          }
        } else if (head) {
          say(msg("resuming"), undefined, "busy");
          r = await req("HEAD", url);
          if (r.status == 200) {
            head = false;
            off = +r.getResponseHeader("Upload-Offset");
            if (+r.getResponseHeader("Upload-Length") != size) { ls(key, null); drop(url); url = null; }
            continue;
          }
        } else {
          const p = await piece(off), t0 = Date.now();
          last = off + p.size >= size;
          show(off);
          r = await req("PATCH", url, Object.assign({"Upload-Offset": off}, p.h), p.body,
            (n) => show(off + Math.min(n, p.size)));
          if (r.status == 204) {
            if (p.size >= 65536) speed(p.size, Date.now() - t0); // not the short tail
            off = +r.getResponseHeader("Upload-Offset") || off + p.size;
            delay = 1; bad = 0;
            if (off >= size) break;
            continue;
          }
          if (r.status == 409) { head = true; continue; } // out of step: ask the server
          if (r.status == 460 && ++bad <= 3) continue; // damaged on the way: send it again
        }
        const s = r.status;
        if (url && (s == 404 || s == 410)) { ls(key, null); url = null; head = false; continue; } // gone: start again
        if (!s || s >= 500 || s == 429 || s == 408) { // network, stall or server trouble: wait, then ask where we are
          const t0 = Math.min(120, Math.max(delay, +r.getResponseHeader("Retry-After") || 0));
          await wait(t0, (n) => say(msg("retry", {s: n}), undefined, n < t0 ? "busy" : ""));
          delay = Math.min(delay * 2, 30);
          head = !!url;
          continue;
        }
        // Refused: the final chunk carries the server's message in the applicant's language.
        if (last) ls(key, null);
        say(last && s != 460 && /^text\/plain/.test(r.getResponseHeader("Content-Type")) && r.responseText || msg("failed"), null, "err");
        slot && slot.classList.add("has-error");
        return;
      }
      ok = true;
      ls(key, null);
      say(msg("done"), 100, "");
      // The slot is also the source: htmx queues requests per source element, and
      // with one shared source (body) parallel refreshes would drop each other.
      const sel = "#m-" + d.material, refresh = () => W.htmx
        ? Promise.resolve(htmx.ajax("GET", d.slotUrl, {source: sel, target: sel, swap: "outerHTML"}))
          .catch(() => setTimeout(refresh, 5000))
        : location.reload();
      refresh();
    } catch (e) {
      ok || say(msg("failed"), null, "err");
    } finally {
      if (!ok) form.ovBusy = btn.disabled = false;
    }
  };

  // Capture phase, before htmx: the form's own hx-post must not fire as well.
  doc.addEventListener("submit", (e) => {
    const form = e.target, input = form.elements && form.elements.file;
    if (!form.matches || !form.matches("form.upload-form")) return;
    const file = input && input.files && input.files[0];
    if (!file && !form.ovBusy) return; // nothing chosen: the server explains
    e.preventDefault();
    e.stopPropagation();
    if (!form.ovBusy) run(form, file);
  }, true);
})();
