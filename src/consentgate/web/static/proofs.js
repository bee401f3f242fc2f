// "What was shared": check every inclusion proof in the browser, so a person trusts the
// maths rather than the server. For each row: SHA-256 (WebCrypto) of 0x00 || leaf, then up
// the RFC 9162 section 2.1.3.2 path (0x01 || left || right) to a root, which must equal the
// root of the signed checkpoint on the page; the checkpoint's Ed25519 signature (a C2SP
// signed note) is checked against the verifier key on the page first. The cell then reads
// "Verified" (data-checked="browser") or "Not verified". Without WebCrypto (an insecure
// context) the server's own check stays shown (data-checked="server").
(function () {
  "use strict";
  const enc = new TextEncoder();
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const hex = (s) => Uint8Array.from((s.match(/../g) || []).map((h) => parseInt(h, 16)));
  const equal = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

  async function sha256(...parts) {
    const total = parts.reduce((n, p) => n + p.length, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const p of parts) { joined.set(p, at); at += p.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
  }
  const leafHash = (data) => sha256(Uint8Array.of(0), data);
  const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

  async function rootFromProof(index, size, leaf, proof) {
    let fn = BigInt(index), sn = BigInt(size) - 1n, r = leaf;
    if (fn < 0n || fn > sn) throw new Error("index outside the tree");
    for (const p of proof) {
      if (p.length !== 32) throw new Error("a proof hash is not 32 bytes");
      if (sn === 0n) throw new Error("proof too long");
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1n) === 0n) {
          while (fn !== 0n && (fn & 1n) === 0n) { fn >>= 1n; sn >>= 1n; }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n; sn >>= 1n;
    }
    if (sn !== 0n) throw new Error("proof too short");
    return r;
  }

  async function openCheckpoint(note, vkey) {
    // <name>+<hex key hash>+<base64 key>: the base64 may itself hold "+"
    const first = vkey.indexOf("+"), second = vkey.indexOf("+", first + 1);
    if (first < 0 || second < 0) throw new Error("not a verifier key");
    const name = vkey.slice(0, first), hashHex = vkey.slice(first + 1, second);
    const keyB64 = vkey.slice(second + 1);
    const material = b64(keyB64);
    if (material.length !== 33 || material[0] !== 1) throw new Error("not an Ed25519 note key");
    const publicKey = material.slice(1);
    const split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Error("not a signed note");
    const text = note.slice(0, split + 1);
    const stated = hex(hashHex);
    const keyHash = (await sha256(enc.encode(name + "\n"), Uint8Array.of(1), publicKey)).slice(0, 4);
    if (!equal(keyHash, stated)) throw new Error("key hash mismatch");
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    let signed = false;
    for (const line of note.slice(split + 2).split("\n")) {
      if (!line.startsWith("\u2014 " + name + " ")) continue;
      const raw = b64(line.slice(name.length + 3));
      if (!equal(raw.slice(0, 4), stated)) continue;
      signed = await crypto.subtle.verify({ name: "Ed25519" }, key, raw.slice(4), enc.encode(text));
      if (signed) break;
    }
    if (!signed) throw new Error("the checkpoint's signature does not verify");
    const lines = text.split("\n");
    return { size: BigInt(lines[1]), root: b64(lines[2]) };
  }

  async function verifyAll() {
    const table = document.getElementById("disclosures");
    const note = document.getElementById("checkpoint");
    const vkey = document.getElementById("verifier-key");
    if (!table || !note || !vkey || !window.crypto || !crypto.subtle) return;
    const rows = Array.from(table.querySelectorAll("tr[data-proof]"));
    const cells = rows.map((row) => row.querySelector("td.proof"));
    cells.forEach((cell) => { cell.textContent = "Checking\u2026"; cell.dataset.checked = "pending"; });
    let checkpoint = null;
    try { checkpoint = await openCheckpoint(note.textContent, vkey.textContent.trim()); } catch (e) { checkpoint = null; }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i], cell = cells[i];
      let ok = false;
      try {
        const proof = JSON.parse(row.dataset.proof);
        if (checkpoint && BigInt(proof.size) === checkpoint.size) {
          const leaf = await leafHash(b64(row.dataset.leaf));
          const root = await rootFromProof(row.dataset.index, proof.size, leaf, proof.hashes.map(hex));
          ok = equal(root, checkpoint.root);
        }
      } catch (e) { ok = false; }
      cell.textContent = ok ? "Verified" : "Not verified";
      cell.className = "proof " + (ok ? "verified" : "failed");
      cell.title = ok ? "Checked in your browser against the signed checkpoint" : "The proof did not check out in your browser";
      cell.dataset.checked = "browser";
    }
  }

  window.consentgateVerify = verifyAll;
  document.addEventListener("DOMContentLoaded", verifyAll);
  document.addEventListener("htmx:afterSettle", verifyAll);
})();
