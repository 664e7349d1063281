// Before a large file is sent: how long it will take on this connection, and for a
// scanned PDF, whether photos of its pages would be quicker. The plain form works
// without this file (the slot's hint gives the size limit and the same advice).
(() => {
  const doc = document, lang = doc.documentElement.lang;
  const PHOTO = 450000; // bytes of one page photo as upload.js sends it (~2 MP JPEG)
  const SHOWN_FROM = 10; // seconds: quicker sends need no warning

  // Bytes per second upward: as measured on this browser's earlier chunks (upload.js
  // keeps it), else half the browser's downlink estimate (uplinks are slower).
  const speed = () => {
    try {
      const measured = +localStorage.getItem("ov-speed");
      if (measured > 0) return measured;
    } catch (e) { /* storage disabled */ }
    const c = navigator.connection;
    return c && c.downlink > 0 ? (c.downlink * 1e6) / 8 / 2 : 0;
  };
  const fmt = (n, opts) => {
    try { return new Intl.NumberFormat(lang, opts).format(n); } catch (e) { return String(n); }
  };
  const duration = (secs) => (secs >= 90
    ? fmt(Math.round(secs / 60), {style: "unit", unit: "minute", unitDisplay: "long"})
    : fmt(Math.max(1, Math.round(secs)), {style: "unit", unit: "second", unitDisplay: "long"}));
  const mb = (n) => fmt(n / 1048576, {minimumFractionDigits: 1, maximumFractionDigits: 1});
  // Pages of a PDF, from its page objects (scans keep them readable); 0 when unknown.
  const pages = async (file) => {
    try {
      const text = new TextDecoder("latin1").decode(await file.arrayBuffer());
      return (text.match(/\/Type\s*\/Page(?![a-zA-Z])/g) || []).length;
    } catch (e) { return 0; }
  };

  const place = (form) => {
    let box = form.querySelector(".estimate");
    if (!box) {
      box = doc.createElement("div");
      box.className = "estimate";
      box.setAttribute("aria-live", "polite");
      form.querySelector("[type=submit]").before(box);
    }
    box.textContent = "";
    return box;
  };

  doc.addEventListener("change", async (e) => {
    const input = e.target, form = input.form, d = form && form.dataset;
    if (!form || !form.matches("form.upload-form") || input.name != "file") return;
    const box = place(form), file = input.files && input.files[0];
    if (!file) return;
    const pdf = /pdf$/i.test(file.type) || /\.pdf$/i.test(file.name);
    const photos = /jpeg/.test(d.formats);
    if (!pdf && photos) return; // photos are made small before sending
    const bps = speed(), secs = bps ? file.size / bps : 0;
    const line = doc.createElement("p");
    line.className = "hint";
    if (!bps) {
      if (file.size < 2097152) return;
      line.textContent = d.msgSize.replace("{size}", mb(file.size));
    } else if (secs >= SHOWN_FROM) {
      line.textContent = d.msgEstimate.replace("{size}", mb(file.size)).replace("{time}", duration(secs));
    } else return;
    box.append(line);
    const n = pdf && photos && +d.maxFiles > 1 && bps ? await pages(file) : 0;
    if (!n || n > +d.maxFiles || n * PHOTO >= file.size * 0.7) return;
    const offer = doc.createElement("p"), btn = doc.createElement("button");
    offer.textContent = (n == 1 ? d.msgPhoto : d.msgPhotos.replace("{pages}", fmt(n)))
      .replace("{time}", duration((n * PHOTO) / bps)) + " ";
    btn.type = "button";
    btn.className = "link photos-instead";
    btn.textContent = d.msgPhotosButton;
    btn.addEventListener("click", () => {
      input.value = "";
      input.accept = "image/jpeg,image/heic,image/heif";
      box.textContent = "";
      input.click();
    });
    offer.append(btn);
    box.append(offer);
  });
})();
