/*
 * agritrace: check, in the visitor's own browser, that what the page shows is what the log
 * the cooperative signed says. Verified with WebCrypto, trusting no server:
 *   1. the checkpoint's Ed25519 signature (C2SP signed-note) with the log's verifier key;
 *   2. the RFC 6962 / RFC 9162 inclusion proof of each entry's leaf in that checkpoint's tree;
 *   3. every fact the page shows, re-derived from those entries' bodies (facts.js) and
 *      compared with the page's claims: a difference names the fact and turns the page red;
 *   4. for a scanned label, its s= signature over GTIN, lot and serial, with a label key whose
 *      registration entry is proven in the same tree: a bad or missing signature turns the
 *      page red "possible counterfeit", whatever the server said.
 *   3b. the entries the page names for each fact (data-entries on its element, also listed
 *      under "Ledger proofs") against those the derivation of that fact rests on;
 *   5. the status against the signed lot-status map that ends the checkpoint (statusmap.js):
 *      an entry the status rests on left off the page turns it red naming "status"; no map
 *      leaves a released lot grey, "not checked for omissions", never green.
 * A port of ledger/_merkle.py and ledger/_note.py; tests/verifier_app/test_browser_verify.py
 * runs it in headless Chromium against the same vectors as the Python code.
 *
 * Use: an element <output data-agritrace-verify='{"checkpoint": "...", "logKey": "...",
 * "entries": [{"leaf": "<base64 leaf bytes>", "index": 7, "proof": ["<base64>", ...]}],
 * "gtin": "...", "lot": "...", "facts": {...}, "label": {"gtin", "lot", "serial", "signature",
 * "keys": [entries as above]}}' data-ok data-fail data-mismatch data-cannot data-counterfeit>
 * gets its text and class set when the page loads, and the page's banner with it. A browser
 * that cannot run the check (no WebCrypto, no Ed25519) says so in grey: never "do not
 * trust", which is kept for a check that ran and failed. Without JavaScript the page still
 * shows everything, and its banner says the proof is not yet checked on this device.
 */
(function () {
  "use strict";

  const encoder = new TextEncoder();

  // Why, as a code: the page says it in its language (data-why-<code> on the output).
  class Reasoned extends Error {
    constructor(message, code) {
      super(message);
      this.code = code || "";
    }
  }
  // This browser cannot run the check (not: the check failed).
  class CannotCheck extends Reasoned {}
  // The label's signature is missing or does not verify with the cooperative's label key.
  class Counterfeit extends Reasoned {}

  function subtle() {
    if (typeof crypto !== "object" || !crypto || !crypto.subtle) {
      throw new CannotCheck("this browser has no WebCrypto (crypto.subtle)");
    }
    return crypto.subtle;
  }

  function fromBase64(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
      throw new Error("expected standard base64");
    }
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  async function sha256(...parts) {
    return new Uint8Array(await subtle().digest("SHA-256", concat(...parts)));
  }

  // RFC 6962 §2.1: domain-separated leaf and node hashes.
  const leafHash = (data) => sha256(Uint8Array.of(0), data);
  const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

  function bitLength(n) {
    let bits = 0;
    while (n > 0n) {
      bits += 1;
      n >>= 1n;
    }
    return bits;
  }

  function onesCount(n) {
    let count = 0;
    while (n > 0n) {
      count += Number(n & 1n);
      n >>= 1n;
    }
    return count;
  }

  // transparency-dev/merkle proof/verify.go RootFromInclusionProof. BigInt: logs outgrow 2**31.
  async function rootFromInclusionProof(index, size, leaf, proof) {
    index = BigInt(index);
    size = BigInt(size);
    if (index < 0n || index >= size) {
      throw new Error(`expected 0 <= index < size, got index ${index}, size ${size}`);
    }
    if (leaf.length !== 32) throw new Error("expected a 32-byte leaf hash");
    const inner = bitLength(index ^ (size - 1n));
    const border = onesCount(index >> BigInt(inner));
    if (proof.length !== inner + border) {
      throw new Error(`expected ${inner + border} proof hashes, got ${proof.length}`);
    }
    let hash = leaf;
    for (let i = 0; i < proof.length; i++) {
      if (proof[i].length !== 32) throw new Error(`proof hash ${i} is not 32 bytes`);
      const leftChild = i < inner && ((index >> BigInt(i)) & 1n) === 0n;
      hash = leftChild ? await nodeHash(hash, proof[i]) : await nodeHash(proof[i], hash);
    }
    return hash;
  }

  // C2SP signed-note verifier key: name+hex(key id)+base64(0x01 ‖ Ed25519 public key).
  // The name holds no "+" and the id is 8 hex digits; base64 may hold "+", so split twice only.
  async function parseVerifierKey(vkey) {
    const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+=*)$/.exec(String(vkey));
    if (!match) throw new Error("malformed log key");
    const [, name, hexId, keyB64] = match;
    const key = fromBase64(keyB64);
    if (key.length !== 33 || key[0] !== 0x01) throw new Error("log key is not an Ed25519 key");
    const id = (await sha256(encoder.encode(name), Uint8Array.of(0x0a), key)).slice(0, 4);
    const hex = Array.from(id, (b) => b.toString(16).padStart(2, "0")).join("");
    if (hex !== hexId) throw new Error("log key id does not match its key");
    return { name, id, raw: key.slice(1) };
  }

  // Served from our own origin (verifier_app/static/vendor/README.md), loaded only when needed.
  const FALLBACK = "/static/noble-ed25519-2.3.0.js";
  let fallback = null;

  // The audited pure-JS Ed25519 (@noble/ed25519), for browsers whose WebCrypto lacks it.
  function loadFallback() {
    if (fallback === null) {
      fallback = window.agritraceNoFallback
        ? Promise.reject(new Error("the fallback is switched off"))
        : import(FALLBACK);
    }
    return fallback;
  }

  // Ed25519 with WebCrypto, else the fallback; a browser with neither cannot check.
  async function ed25519Verify(publicKey, signature, message) {
    let key;
    try {
      key = await subtle().importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    } catch (error) {
      if (error instanceof CannotCheck) throw error;
      let ed;
      try {
        ed = await loadFallback();
      } catch (loading) {
        throw new CannotCheck(
          `this browser has no Ed25519 in WebCrypto (${error.name || error.message}) ` +
            `and the fallback did not load (${loading.message})`,
        );
      }
      // RFC 8032 rules (zip215: false), as WebCrypto and the log's own verifier apply.
      return ed.verifyAsync(signature, message, publicKey, { zip215: false });
    }
    return subtle().verify({ name: "Ed25519" }, key, signature, message);
  }

  // Returns the note's text once a signature by `vkey` verifies over it; throws otherwise.
  async function openNote(note, vkey) {
    const key = await parseVerifierKey(vkey);
    const split = note.lastIndexOf("\n\n");
    if (split < 0 || !note.endsWith("\n")) throw new Error("not a signed note");
    const text = note.slice(0, split + 1);
    const lines = note.slice(split + 2, -1).split("\n");
    for (const line of lines) {
      const match = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!match) throw new Error("malformed signature line");
      if (match[1] !== key.name) continue;
      const raw = fromBase64(match[2]);
      if (raw.length !== 68 || !equal(raw.slice(0, 4), key.id)) continue;
      const ok = await ed25519Verify(key.raw, raw.slice(4), encoder.encode(text));
      if (ok) return text;
      throw new Error("the checkpoint signature does not verify");
    }
    throw new Error("the checkpoint is not signed by this log's key");
  }

  // C2SP tlog-checkpoint body: origin, decimal size, base64 root, optional extension lines.
  function parseCheckpoint(text) {
    const lines = text.split("\n");
    if (lines.length < 4 || !/^(0|[1-9][0-9]{0,19})$/.test(lines[1])) {
      throw new Error("malformed checkpoint");
    }
    const root = fromBase64(lines[2]);
    if (root.length !== 32) throw new Error("checkpoint root is not 32 bytes");
    return { origin: lines[0], size: BigInt(lines[1]), root };
  }

  const decoder = new TextDecoder("utf-8", { fatal: true });

  // A leaf's bytes: base64 (the JSON answer) or, on the page, its UTF-8 text (smaller gzipped).
  function leafBytes(entry) {
    return typeof entry.text === "string" ? encoder.encode(entry.text) : fromBase64(entry.leaf);
  }

  // The whole proof check for a page: every entry is in the tree the log signed; returns that tree.
  async function verifyTree(data) {
    const checkpoint = parseCheckpoint(await openNote(data.checkpoint, data.logKey));
    if (!Array.isArray(data.entries) || data.entries.length === 0) {
      throw new Error("no entries to check");
    }
    for (const entry of data.entries) {
      const leaf = await leafHash(leafBytes(entry));
      const proof = entry.proof.map(fromBase64);
      const root = await rootFromInclusionProof(entry.index, checkpoint.size, leaf, proof);
      if (!equal(root, checkpoint.root)) {
        throw new Error(`entry ${entry.index} is not in the signed tree`);
      }
    }
    return checkpoint;
  }

  async function verifyEntries(data) {
    const checkpoint = await verifyTree(data);
    return { origin: checkpoint.origin, size: checkpoint.size.toString(), entries: data.entries.length };
  }

  // The statements inside proven leaves: {seq, kind, body}, each at the position it was proven at.
  function statements(data) {
    return data.entries.map((entry) => {
      const record = JSON.parse(decoder.decode(leafBytes(entry)));
      if (record.seq !== entry.index) throw new Error(`entry ${entry.index} holds record ${record.seq}`);
      return { seq: record.seq, kind: record.statement.kind, body: record.statement.body };
    });
  }

  // labels/_signature.py: "agritrace-label-v1\n" + GTIN-14 + "\n" + lot + "\n" + serial, signed
  // with Ed25519; the 64-byte signature travels as 155 decimal digits.
  const LABEL_DOMAIN = "agritrace-label-v1\n";

  function signatureBytes(digits) {
    if (typeof digits !== "string" || !/^[0-9]{155}$/.test(digits)) {
      throw new Counterfeit("the label signature is not 155 decimal digits", "malformed");
    }
    let n = BigInt(digits);
    if (n >= 1n << 512n) throw new Counterfeit("the label signature is out of range", "malformed");
    const out = new Uint8Array(64);
    for (let i = 63; i >= 0; i--) {
      out[i] = Number(n & 0xffn);
      n >>= 8n;
    }
    return out;
  }

  // The label keys the log committed to: each entry proven in the tree, a label-role registration.
  async function labelKeys(entries, tree) {
    const keys = [];
    for (const entry of entries || []) {
      const leaf = await leafHash(leafBytes(entry));
      const root = await rootFromInclusionProof(entry.index, tree.size, leaf, entry.proof.map(fromBase64));
      if (!equal(root, tree.root)) throw new Error(`label key entry ${entry.index} is not in the signed tree`);
      const record = JSON.parse(decoder.decode(leafBytes(entry)));
      const statement = record.statement || {};
      const roles = (statement.body || {}).roles;
      if (record.seq !== entry.index || statement.kind !== "ledger.key.register" ||
          !Array.isArray(roles) || !roles.includes("label")) {
        throw new Error(`entry ${entry.index} does not register a label key`);
      }
      const key = fromBase64(statement.body.public_key);
      if (key.length !== 32) throw new Error(`entry ${entry.index}: a label key is 32 bytes`);
      keys.push(key);
    }
    return keys;
  }

  // The scanned code, as this browser loaded it: the label data must be about it.
  function scannedCode() {
    if (typeof location !== "object") return null;
    const parts = location.pathname.replace(/\/+$/, "").split("/").slice(1).map(decodeURIComponent);
    const code = { signature: new URLSearchParams(location.search).get("s") };
    for (let i = 0; i + 1 < parts.length; i += 2) code[parts[i]] = parts[i + 1];
    return code["01"] === undefined ? null : code;
  }

  // Returns "signed" or "unsigned"; throws Counterfeit, CannotCheck, or Error (a bad proof).
  async function checkLabel(label, tree) {
    const keys = await labelKeys(label.keys, tree);
    const scanned = scannedCode();
    if (scanned !== null && (scanned["01"].padStart(14, "0") !== label.gtin ||
        (scanned["10"] ?? null) !== label.lot || (scanned["21"] ?? null) !== label.serial ||
        scanned.signature !== label.signature)) {
      throw new Counterfeit("the page's label data is not the code that was scanned", "not_scanned");
    }
    if (label.signature === null || label.signature === undefined) {
      if (label.serial !== null && label.serial !== undefined && keys.length) {
        throw new Counterfeit("a serialised label without the cooperative's signature", "no_signature");
      }
      return "unsigned";
    }
    const signature = signatureBytes(label.signature);
    if (!keys.length) throw new CannotCheck("no label key is proven on the ledger yet", "no_key");
    const message = encoder.encode(LABEL_DOMAIN + [label.gtin, label.lot || "", label.serial || ""].join("\n"));
    for (const key of keys) {
      if (await ed25519Verify(key, signature, message)) return "signed";
    }
    throw new Counterfeit("the label signature does not verify with the cooperative's label key", "bad_signature");
  }

  // Each fact element's data-entries against the entries the fact's derivation rests on.
  function listedEntries(derived) {
    if (typeof document !== "object") return [];
    const out = new Map();
    const set = (seqs) => [...new Set(seqs.map(Number))].sort((a, b) => a - b).join(" ");
    document.querySelectorAll("[data-entries]").forEach((element) => {
      const fact = element.dataset.fact;
      const listed = set(element.dataset.entries.split(" ").filter(Boolean));
      const given = derived[fact] ? set(derived[fact][1]) : null;
      if (listed !== given && !out.has(fact)) out.set(fact, { fact, shown: listed, derived: given });
    });
    return [...out.values()];
  }

  // Proofs first, then the label, then each claimed fact against what the proven entries give.
  async function checkPage(data) {
    const tree = await verifyTree(data);
    const result = { origin: tree.origin, size: tree.size.toString(), entries: data.entries.length };
    result.mismatches = [];
    if (data.label) result.label = await checkLabel(data.label, tree);
    result.omission = "not_checked";
    if (data.facts) {
      const facts = window.agritraceFacts;
      let proven = [];
      try {
        proven = statements(data);
        const derived = facts.deriveFacts(proven, data.gtin, data.lot);
        result.mismatches = facts.compareFacts(data.facts, derived).concat(listedEntries(derived));
      } catch (error) {
        result.mismatches = [{ fact: "entries", shown: null, derived: error.message }];
      }
      const map = await window.agritraceStatusMap.checkMapClaim(
        data.statusMap || null, Number(result.size), new Map(proven.map((s) => [s.seq, s])),
        data.gtin, data.lot, data.facts.status,
      );
      result.omission = map.state;
      if (map.state === "mismatch") result.mismatches.push({ fact: "status", shown: data.facts.status, derived: map.reason });
    }
    return result;
  }

  function setBanner(classes, word, proof) {
    const banner = document.querySelector(".banner");
    if (!banner) return;
    if (classes) banner.className = "banner " + classes;
    const wordSpan = banner.querySelector(".word");
    const proofSpan = banner.querySelector(".proof");
    if (word !== null) {
      if (wordSpan) wordSpan.textContent = word;
      else banner.textContent = word;
    }
    if (proof !== null && proofSpan) proofSpan.textContent = proof;
  }

  async function run(element) {
    element.className = "verifying";
    const fail = element.dataset.fail || "verification failed";
    let result;
    try {
      // The data inline, or "#id" of a <script type="application/json"> element holding it.
      const source = element.dataset.agritraceVerify;
      const text = source.startsWith("#") ? document.querySelector(source).textContent : source;
      result = await checkPage(JSON.parse(text));
    } catch (error) {
      // The reason in the page's language where it has words for it, else as the check said.
      const why = (error.code && element.getAttribute("data-why-" + error.code)) || error.message;
      if (error instanceof Counterfeit) {
        // Red, with the reason: the label itself failed, whatever the server said of it.
        const word = element.dataset.counterfeit || "possible counterfeit";
        element.textContent = word + ": " + why;
        element.className = "failed";
        setBanner("counterfeit", word, why);
        return;
      }
      if (error instanceof CannotCheck) {
        // Grey, with why: a phone that cannot check is no evidence against the page.
        const message = (element.dataset.cannot || "cannot check on this phone") + ": " + why;
        element.textContent = message;
        element.className = "cannot";
        const banner = document.querySelector(".banner");
        if (banner) banner.classList.replace("unchecked", "cannot");
        setBanner(null, null, "· " + (element.dataset.cannot || "cannot check on this phone"));
        return;
      }
      element.textContent = fail + ": " + error.message;
      element.className = "failed";
      // The page must not keep a calm banner above a failed check.
      setBanner("failed", fail, error.message);
      return;
    }
    if (result.mismatches.length) {
      // A fact can fail twice (its claim, and the status map for "status"): name it once.
      const names = [...new Set(result.mismatches.map((m) => m.fact))].join(", ");
      const message = `${fail}: ${element.dataset.mismatch || "does not match the ledger"}: ${names}`;
      element.textContent = message;
      element.className = "failed";
      for (const m of result.mismatches) {
        document.querySelectorAll(`[data-fact="${m.fact}"]`).forEach((dd) => dd.classList.add("mismatch"));
      }
      setBanner("failed", fail, (element.dataset.mismatch || "does not match the ledger") + ": " + names);
      return;
    }
    const banner = document.querySelector(".banner");
    if (element.dataset.labelUnproven) {
      // The server found the label counterfeit for a reason the phone cannot check (a serial
      // never issued): proofs that pass say nothing for the label, so no green under the red.
      element.textContent = element.dataset.labelUnproven + ` (${result.size})`;
      element.className = "cannot";
      return;
    }
    element.textContent = (element.dataset.ok || "verified in this browser") + ` (${result.size})`;
    element.className = "verified";
    // A held or recalled lot's proof is as good as a released one's, but a green box under
    // "do not eat it" reads as "fine": the box stays neutral there (its words say the
    // warning is genuine).
    if (banner && banner.dataset.status && banner.dataset.status !== "verified") {
      element.classList.add("warning");
    }
    if (banner && banner.dataset.status) {
      const released = banner.dataset.status === "verified";
      const checked = "· " + (banner.dataset.checked || "checked on this phone");
      if (result.omission !== "checked") {
        // Proven, but nothing shows that no recall or hold was left out: grey, not green.
        const note = banner.dataset.omission || "not checked for omissions";
        setBanner(released ? "cannot" : banner.dataset.status, null, `${checked} · ${note}`);
        return;
      }
      setBanner(released ? "verified" : banner.dataset.status, released ? banner.dataset.verified : null, checked);
    }
  }

  window.agritraceVerify = {
    fromBase64, leafHash, rootFromInclusionProof, openNote, parseCheckpoint, verifyEntries,
    statements, checkPage, checkLabel, run, CannotCheck, Counterfeit, ed25519Verify, loadFallback,
  };
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-agritrace-verify]").forEach(run);
  });
})();
