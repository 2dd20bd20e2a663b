/*
 * agritrace: the lot-status map check, in the visitor's browser (omission caught).
 * A port of traceability/_map_proof.py and _map_claim.py; tests/verifier_app/vectors/statusmap.json
 * holds the cases both must pass (tests/verifier_app/test_browser_statusmap.py).
 *
 * The map commits to every lot's status and the entries it rests on. The page carries its
 * lot's proof ({entry, key, value, bucket: [[key, hex]], siblings: [base64]}) and the map
 * entry among its proven entries. checkMapClaim checks, from proven entries only:
 *   1. the map entry ends the checkpoint (index == size - 1) and covers all before it;
 *   2. the bucket's pairs and 16 siblings lead to the root that entry signed;
 *   3. the map's value: its status is the page's, and every entry it rests on is proven
 *      on the page (a left-out recall or hold shows here).
 * No proof at all is "not_checked" (never green, never red); anything else wrong is a
 * mismatch naming "status".
 */
(function (root) {
  "use strict";

  const DEPTH = 16;
  const encoder = new TextEncoder();

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  async function sha256(...parts) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function fromHex(text) {
    if (typeof text !== "string" || !/^([0-9a-f]{2})*$/.test(text)) throw new Error("expected hex");
    return Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
  }

  function fromBase64(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
      throw new Error("expected standard base64");
    }
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  }

  // RFC 8785 for what the map hashes (objects, arrays, strings, integers): keys sorted by
  // UTF-16 code units, as Array.prototype.sort compares strings.
  function canonical(value) {
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (value !== null && typeof value === "object") {
      const keys = Object.keys(value).sort();
      return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
    }
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new Error("the map holds integers only");
    }
    return JSON.stringify(value);
  }

  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const valueHash = (value) => sha256(encoder.encode(canonical(value)));
  const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

  async function bucketOf(key) {
    const digest = await sha256(encoder.encode(key));
    return (digest[0] << 8) | digest[1];
  }

  async function bucketHash(pairs) {
    const rows = pairs.map(([key, digest]) => [key, hex(digest)]);
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return sha256(Uint8Array.of(0), encoder.encode(canonical(rows)));
  }

  // proof: {key, bucket: [[key, Uint8Array]], siblings: [Uint8Array]}.
  async function rootFromMapProof(proof) {
    if (proof.siblings.length !== DEPTH) {
      throw new Error(`expected ${DEPTH} sibling hashes, got ${proof.siblings.length}`);
    }
    const index = await bucketOf(proof.key);
    const seen = new Set();
    for (const [key, digest] of proof.bucket) {
      if (digest.length !== 32) throw new Error(`value hash of ${key} is not 32 bytes`);
      if ((await bucketOf(key)) !== index) throw new Error(`${key} does not belong in bucket ${index}`);
      if (seen.has(key)) throw new Error(`${key} is in the bucket twice`);
      seen.add(key);
    }
    let digest = await bucketHash(proof.bucket);
    for (let level = 0; level < DEPTH; level++) {
      const sibling = proof.siblings[level];
      if (sibling.length !== 32) throw new Error(`sibling ${level} is not 32 bytes`);
      digest = (index >> level) & 1 ? await nodeHash(sibling, digest) : await nodeHash(digest, sibling);
    }
    return digest;
  }

  // Throws unless the map of `root` maps proof.key to `value` (null: to nothing).
  async function verifyMapProof(proof, root, value) {
    if (!equal(await rootFromMapProof(proof), root)) {
      throw new Error("the bucket and siblings do not lead to the map's root");
    }
    const held = proof.bucket.find(([key]) => key === proof.key);
    if (value === null) {
      if (held) throw new Error(`${proof.key} is in the map, claimed absent`);
      return;
    }
    if (!held) throw new Error(`${proof.key} is absent from the map`);
    if (!equal(held[1], await valueHash(value))) throw new Error(`the map holds another value for ${proof.key}`);
  }

  function proofFromJson(data) {
    if (!Array.isArray(data.bucket) || !Array.isArray(data.siblings)) throw new Error("malformed map proof");
    return {
      key: String(data.key),
      bucket: data.bucket.map(([key, digest]) => [String(key), fromHex(digest)]),
      siblings: data.siblings.map(fromBase64),
    };
  }

  // statusMap: the page's proof.statusMap (or null); size: the checkpoint's size (Number);
  // proven: Map seq -> {kind, body} of every proven entry. Returns {state, reason}.
  async function checkMapClaim(statusMap, size, proven, gtin, lot, shownStatus) {
    if (!statusMap) return { state: "not_checked", reason: "the checkpoint does not end with a lot-status map" };
    const miss = (reason) => ({ state: "mismatch", reason: "status: " + reason });
    const index = statusMap.entry;
    if (index !== size - 1) return miss(`the map entry ${index} is not the checkpoint's last (${size - 1})`);
    if (statusMap.key !== `(01)${gtin}(10)${lot}`) return miss(`the map proof is for ${statusMap.key}, not this lot`);
    const entry = proven.get(index);
    if (!entry) return miss(`the map entry ${index} is not proven`);
    if (entry.kind !== "trace.status_map" || !entry.body || entry.body.size !== index) {
      return miss(`entry ${index} is not a map of the ${index} entries before it`);
    }
    const value = statusMap.value === undefined ? null : statusMap.value;
    try {
      await verifyMapProof(proofFromJson(statusMap), fromBase64(entry.body.root), value);
    } catch (error) {
      return miss(error.message);
    }
    if (value === null) return miss("the signed map holds no such lot");
    if (value.status !== shownStatus) return miss(`the page shows ${shownStatus}, the signed map ${value.status}`);
    const missing = (value.entries || []).filter((seq) => !proven.has(seq));
    if (missing.length) return miss(`the page leaves out entries the status rests on (${missing.join(", ")})`);
    return { state: "checked", reason: "" };
  }

  const api = {
    bucketOf, bucketHash, valueHash, rootFromMapProof, verifyMapProof, proofFromJson, checkMapClaim,
  };
  // Node (the shared vectors, tests/verifier_app/test_statusmap.py) or the page.
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.agritraceStatusMap = api;
})(typeof window === "object" ? window : globalThis);
