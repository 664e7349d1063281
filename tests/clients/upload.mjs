// Upload one file to OneVisit's /files/ with tus-js-client, its default settings
// (chunkSize Infinity: the whole file in one PATCH). Used by tests/uploads/test_tus_js.py.
// argv: endpoint, file path, JSON of extra headers (session cookie, CSRF token),
// JSON of metadata. Prints one JSON line: {url, requests: ["POST", "PATCH", …]} or {error}.
import { readFileSync } from "node:fs";
import * as tus from "tus-js-client";

const [endpoint, path, headers, metadata] = process.argv.slice(2);
const requests = [];
const upload = new tus.Upload(readFileSync(path), {
  endpoint,
  headers: JSON.parse(headers),
  metadata: JSON.parse(metadata),
  onBeforeRequest: (req) => { requests.push(req.getMethod()); },
  onSuccess: () => { console.log(JSON.stringify({ url: upload.url, requests })); },
  onError: (error) => {
    console.log(JSON.stringify({ error: String(error), requests }));
    process.exitCode = 1;
  },
});
upload.start();
