// SPDX-License-Identifier: Apache-2.0
//
// proofcheck.js redoes the proof page's check in the resident's browser
// (docs/witnessing.md §5), with Web Crypto only: no framework, no build
// step. From the page it takes the proof (the leaf, its index, the proof
// hashes, the signed checkpoint with its cosignature lines) and the
// server's result, never a key. The keys come from the network's trust
// chain, verified up to the trust anchor's key (docs/network.md §2.1,
// §2.2), or, for an operator in no network, from the operator itself
// (/.well-known/mydata/log-key, /api/v1/public/log/witness-policy), and
// the page says which.
//
// Specifications: RFC 6962 §2.1 (hashes) and RFC 9162 §2.1.3.2 (checking
// an inclusion proof); C2SP signed-note (https://c2sp.org/signed-note),
// tlog-checkpoint (https://c2sp.org/tlog-checkpoint) and tlog-cosignature
// (https://c2sp.org/tlog-cosignature); the Sigsum policy grammar
// (docs/witnessing.md §5); RFC 7515 (JWS), RFC 8037 (EdDSA, OKP keys),
// RFC 7638 (thumbprints), OpenID Federation 1.0 §3, §8.1.
(function () {
  "use strict";

  var dataEl = document.getElementById("proof-data");
  var section = document.getElementById("browser-check");
  if (!dataEl || !section) {
    return;
  }
  var data = JSON.parse(dataEl.textContent);
  var T = data.text || {};

  function say(id, text) {
    var el = document.getElementById(id);
    if (el) {
      el.textContent = text;
    }
  }

  section.hidden = false;
  say("browser-result", T.checking);

  // A failed check: what failed, in the script's words (English: these
  // are the check's technical steps).
  function Failure(what) {
    this.what = what;
  }

  function fail(what) {
    throw new Failure(what);
  }

  var enc = new TextEncoder();

  function b64(s) {
    var bin;
    try {
      bin = atob(s);
    } catch (e) {
      fail("bad base64: " + s);
    }
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  }

  function b64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    return b64(s);
  }

  function toB64url(bytes) {
    var bin = "";
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function concat() {
    var n = 0, i;
    for (i = 0; i < arguments.length; i++) {
      n += arguments[i].length;
    }
    var out = new Uint8Array(n), off = 0;
    for (i = 0; i < arguments.length; i++) {
      out.set(arguments[i], off);
      off += arguments[i].length;
    }
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) {
      return false;
    }
    for (var i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) {
        return false;
      }
    }
    return true;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  async function ed25519(pub, sig, msg) {
    if (pub.length !== 32 || sig.length !== 64) {
      return false;
    }
    var key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, sig, msg);
  }

  // RFC 6962 §2.1: a leaf hash is SHA-256(0x00 || leaf), an interior
  // node's SHA-256(0x01 || left || right).
  async function leafHash(leaf) {
    return sha256(concat(new Uint8Array([0]), leaf));
  }

  async function nodeHash(l, r) {
    return sha256(concat(new Uint8Array([1]), l, r));
  }

  // checkInclusion is RFC 9162 §2.1.3.2, step by step.
  async function checkInclusion(index, size, hash, path, root) {
    if (index >= size) {
      fail("the entry is not in the checkpoint's tree");
    }
    var fn = index, sn = size - 1, r = hash;
    for (var i = 0; i < path.length; i++) {
      var p = path[i];
      if (p.length !== 32) {
        fail("proof hash " + (i + 1) + " is not 32 bytes");
      }
      if (sn === 0) {
        fail("the inclusion proof is too long");
      }
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
          }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0 || !equal(r, root)) {
      fail("the inclusion proof does not lead to the checkpoint's root hash");
    }
  }

  // parseNote splits a signed note (signed-note §Format) into its text,
  // "\n"-terminated, and its signature lines.
  function parseNote(s) {
    var i = s.lastIndexOf("\n\n");
    if (i < 0) {
      fail("the checkpoint is not a signed note");
    }
    var text = s.slice(0, i + 1), sigs = [];
    var lines = s.slice(i + 2).split("\n");
    for (var j = 0; j < lines.length; j++) {
      if (lines[j] === "") {
        continue;
      }
      var m = /^\u2014 (\S+) (\S+)$/.exec(lines[j]);
      if (!m) {
        fail("a signature line of the checkpoint is malformed");
      }
      sigs.push({ name: m[1], sig: b64(m[2]) });
    }
    return { text: text, sigs: sigs };
  }

  // parseCheckpoint reads a tlog-checkpoint's text: origin, size, root
  // hash, then extension lines.
  function parseCheckpoint(text) {
    var lines = text.split("\n");
    if (lines.length < 4 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) {
      fail("the checkpoint's text is not origin, size and root hash");
    }
    var root = b64(lines[2]);
    if (root.length !== 32) {
      fail("the checkpoint's root hash is not 32 bytes");
    }
    return { origin: lines[0], size: Number(lines[1]), root: root };
  }

  // parseVerifierKey reads a signed-note verifier key,
  // {name}+{hash}+{base64 of algorithm byte and public key}, and checks
  // its key hash: the first 4 bytes of SHA-256(name || "\n" || algorithm
  // byte || public key) (signed-note §Signatures).
  async function parseVerifierKey(vkey, alg) {
    // The name and the hash end at the first two "+"; the base64 key may
    // hold more.
    var parts = /^([^+]+)\+([^+]*)\+(.*)$/.exec(String(vkey));
    parts = parts ? parts.slice(1) : [];
    if (parts.length !== 3 || !/^[0-9a-f]{8}$/.test(parts[1])) {
      fail("not a verifier key: " + vkey);
    }
    var k = b64(parts[2]);
    if (k.length !== 33 || k[0] !== alg) {
      fail("not a key of the expected algorithm: " + vkey);
    }
    var id = (await sha256(concat(enc.encode(parts[0] + "\n"), k))).slice(0, 4);
    var hex = Array.prototype.map.call(id, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    if (hex !== parts[1]) {
      fail("the key hash of " + parts[0] + " does not match its key");
    }
    return { name: parts[0], id: id, pub: k.slice(1) };
  }

  // checkLogSignature: an Ed25519 note signature (algorithm 0x01) of the
  // note's text by the log key.
  async function checkLogSignature(note, key) {
    for (var i = 0; i < note.sigs.length; i++) {
      var s = note.sigs[i];
      if (s.name === key.name && s.sig.length === 68 && equal(s.sig.slice(0, 4), key.id)) {
        if (await ed25519(key.pub, s.sig.slice(4), enc.encode(note.text))) {
          return;
        }
        fail("the checkpoint's signature does not verify with the log key");
      }
    }
    fail("the checkpoint has no signature by the log key");
  }

  // checkCosignature: a cosignature/v1 (algorithm 0x04) line of the
  // witness's key, whose signature is over "cosignature/v1\ntime
  // {t}\n{checkpoint text}", the 8-byte big-endian t before the 64-byte
  // signature (tlog-cosignature §Format). true when one line verifies.
  async function checkCosignature(note, key) {
    for (var i = 0; i < note.sigs.length; i++) {
      var s = note.sigs[i];
      if (s.name !== key.name || s.sig.length !== 76 || !equal(s.sig.slice(0, 4), key.id)) {
        continue;
      }
      var t = 0;
      for (var j = 4; j < 12; j++) {
        t = t * 256 + s.sig[j];
      }
      var msg = enc.encode("cosignature/v1\ntime " + t + "\n" + note.text);
      if (await ed25519(key.pub, s.sig.slice(12), msg)) {
        return true;
      }
    }
    return false;
  }

  async function fetchText(url) {
    var res = await fetch(url, { credentials: "omit", cache: "no-store" });
    if (res.status === 404) {
      // Not there: the anchor vouches for no such member, or the
      // operator publishes no such key. The check fails.
      fail(url + ": 404");
    } else if (!res.ok) {
      // Any other answer: the check cannot be made now; that is not a
      // failed check.
      throw new Error(url + ": " + res.status);
    }
    return res.text();
  }

  // The policy file (docs/witnessing.md §5): its witnesses, groups and
  // quorum; the witness keys in it are used only outside a network.
  function parsePolicy(s) {
    var p = { witnesses: [], groups: {}, quorum: "" };
    s.split("\n").forEach(function (line) {
      var f = line.trim().split(/\s+/);
      if (f[0] === "witness" && f.length >= 3) {
        p.witnesses.push({ label: f[1], vkey: f[2] });
      } else if (f[0] === "group" && f.length >= 4) {
        p.groups[f[1]] = { k: f[2], members: f.slice(3) };
      } else if (f[0] === "quorum" && f.length === 2) {
        p.quorum = f[1];
      }
    });
    return p;
  }

  // met says whether the labels of the witnesses whose cosignature
  // verified satisfy the policy's quorum.
  function met(p, ok) {
    function sat(label) {
      if (ok[label]) {
        return true;
      }
      var g = p.groups[label];
      if (!g) {
        return false;
      }
      var n = g.members.filter(sat).length;
      var k = g.k === "all" ? g.members.length : g.k === "any" ? 1 : Number(g.k);
      return n >= k;
    }
    return p.quorum === "none" || (p.quorum !== "" && sat(p.quorum));
  }

  // A compact JWS signed with EdDSA (RFC 7515, RFC 8037): its header and
  // claims, and whether one of keys (a JWK set's keys) verifies it.
  function parseJWS(s) {
    var parts = String(s).trim().split(".");
    if (parts.length !== 3) {
      fail("an entity statement is not a compact JWS");
    }
    var dec = new TextDecoder();
    return {
      header: JSON.parse(dec.decode(b64url(parts[0]))),
      claims: JSON.parse(dec.decode(b64url(parts[1]))),
      input: enc.encode(parts[0] + "." + parts[1]),
      sig: b64url(parts[2])
    };
  }

  async function verifyJWS(jws, jwks, what) {
    if (jws.header.alg !== "EdDSA") {
      fail(what + ": not signed with EdDSA");
    }
    if (jws.header.typ !== "entity-statement+jwt") {
      fail(what + ": not an entity statement");
    }
    var keys = (jwks && jwks.keys) || [];
    for (var i = 0; i < keys.length; i++) {
      var k = keys[i];
      if (k.kty === "OKP" && k.crv === "Ed25519" && (!jws.header.kid || k.kid === jws.header.kid)) {
        if (await ed25519(b64url(k.x), jws.sig, jws.input)) {
          var now = Date.now() / 1000;
          if (typeof jws.claims.exp === "number" && jws.claims.exp < now) {
            fail(what + ": expired");
          }
          return k;
        }
      }
    }
    fail(what + ": no key of the chain verifies it");
  }

  // thumbprint is RFC 7638's for an Ed25519 OKP key: SHA-256 of
  // {"crv","kty","x"} in that order, without spaces, base64url.
  async function thumbprint(k) {
    var j = '{"crv":' + JSON.stringify(k.crv) + ',"kty":' + JSON.stringify(k.kty) + ',"x":' + JSON.stringify(k.x) + "}";
    return toB64url(await sha256(enc.encode(j)));
  }

  function noSlash(u) {
    return String(u).replace(/\/+$/, "");
  }

  // inLang is a name of the chain (omadata's {"fi":…,"sv":…,"en":…}) in
  // the page's language, else in another one, else "".
  function inLang(text) {
    if (!text || typeof text !== "object") {
      return "";
    }
    var langs = [document.documentElement.lang, "en", "fi", "sv"];
    for (var i = 0; i < langs.length; i++) {
      if (typeof text[langs[i]] === "string" && text[langs[i]] !== "") {
        return text[langs[i]];
      }
    }
    return "";
  }

  // chainKeys takes the log key and the witness keys from the network's
  // trust chain: the anchor's entity configuration from the anchor
  // (self-signed; its thumbprint is shown), the anchor's subordinate
  // statement about each member, each member's entity configuration
  // signed with a key the anchor vouches for. Each witness is labelled
  // from the chain too, never by the name its key declares: a member by
  // its name in the page's language (its omadata_operator metadata), the
  // anchor by its organization_name.
  async function chainKeys(own) {
    var hints = own.claims.authority_hints || [];
    if (hints.length !== 1) {
      fail("the operator's entity configuration names no single trust anchor");
    }
    var anchorID = noSlash(hints[0]);
    var anchor = parseJWS(await fetchText(anchorID + "/.well-known/openid-federation"));
    if (noSlash(anchor.claims.iss) !== anchorID || noSlash(anchor.claims.sub) !== anchorID) {
      fail("the trust anchor's entity configuration is not its own");
    }
    var anchorKey = await verifyJWS(anchor, anchor.claims.jwks, "the trust anchor's entity configuration");
    var fed = (anchor.claims.metadata || {}).federation_entity || {};
    if (!fed.federation_fetch_endpoint) {
      fail("the trust anchor names no fetch endpoint");
    }
    async function member(id) {
      var sub = parseJWS(await fetchText(fed.federation_fetch_endpoint + "?sub=" + encodeURIComponent(id)));
      if (noSlash(sub.claims.iss) !== anchorID || noSlash(sub.claims.sub) !== noSlash(id)) {
        fail("the anchor's statement about " + id + " is about someone else");
      }
      await verifyJWS(sub, anchor.claims.jwks, "the anchor's statement about " + id);
      var ec = id === own.claims.sub ? own : parseJWS(await fetchText(noSlash(id) + "/.well-known/openid-federation"));
      if (noSlash(ec.claims.iss) !== noSlash(id) || noSlash(ec.claims.sub) !== noSlash(id)) {
        fail("the entity configuration of " + id + " is not its own");
      }
      await verifyJWS(ec, sub.claims.jwks, "the entity configuration of " + id);
      var md = ec.claims.metadata || {};
      var op = md.omadata_operator || {};
      op.label = inLang(op.name) || (md.federation_entity || {}).organization_name || String(id);
      return op;
    }
    var self = await member(own.claims.sub);
    var witnesses = [];
    var aw = (anchor.claims.metadata || {}).omadata_witness;
    if (aw && aw.witness_verifier_key) {
      witnesses.push({ label: fed.organization_name || anchorID, vkey: aw.witness_verifier_key });
    }
    if (fed.federation_list_endpoint) {
      var ids = JSON.parse(await fetchText(fed.federation_list_endpoint));
      for (var i = 0; i < ids.length; i++) {
        if (noSlash(ids[i]) === noSlash(own.claims.sub)) {
          continue;
        }
        try {
          var m = await member(ids[i]);
          if (m.witness_verifier_key) {
            witnesses.push({ label: m.label, vkey: m.witness_verifier_key });
          }
        } catch (e) {
          // A member whose chain does not verify names no witness key.
        }
      }
    }
    return {
      logKeys: [self.log_verifier_key],
      witnesses: witnesses,
      thumbprint: await thumbprint(anchorKey)
    };
  }

  // ownKeys takes the keys from the operator itself: outside a network
  // there is no one else to ask.
  async function ownKeys() {
    var logKeys = (await fetchText("/.well-known/mydata/log-key")).split("\n").filter(function (l) { return l.trim() !== ""; });
    return { logKeys: logKeys, witnesses: null, thumbprint: "" };
  }

  async function run() {
    if (!window.crypto || !crypto.subtle) {
      throw new Error(T.unsupported);
    }
    var keys, ownEC = null;
    var res = await fetch("/.well-known/openid-federation", { credentials: "omit", cache: "no-store" });
    if (res.ok) {
      ownEC = parseJWS(await res.text());
      keys = await chainKeys(ownEC);
    } else {
      keys = await ownKeys();
    }
    var policy = parsePolicy(data.witness ? await fetchText("/api/v1/public/log/witness-policy") : "quorum none\n");
    if (!keys.witnesses) {
      keys.witnesses = policy.witnesses;
    }

    var note = parseNote(data.checkpoint);
    var cp = parseCheckpoint(note.text);
    var logKey = null, lastErr = null;
    for (var i = 0; i < keys.logKeys.length && !logKey; i++) {
      try {
        var k = await parseVerifierKey(keys.logKeys[i], 1);
        if (k.name !== cp.origin) {
          continue;
        }
        await checkLogSignature(note, k);
        logKey = k;
      } catch (e) {
        lastErr = e;
      }
    }
    if (!logKey) {
      throw lastErr || new Failure("no log key for the checkpoint's origin " + cp.origin);
    }
    var leaf = b64(data.leaf);
    var path = (data.hashes || []).map(b64);
    await checkInclusion(data.index, cp.size, await leafHash(leaf), path, cp.root);

    // Each cosignature, with the witness keys of the chain (or, outside
    // a network, of the operator's policy). A witness is its public key:
    // a cosignature/v1 signature does not cover the key's name
    // (tlog-cosignature §Format), so a key named twice, under one name or
    // two, counts once; in a network it is shown with every label of the
    // chain whose line of it verifies ("Espoo / Vantaa": who holds the
    // key, the chain cannot say).
    var ok = {}, verified = [], shown = [], byName = {}, seen = {};
    for (var w = 0; w < keys.witnesses.length; w++) {
      var wk;
      try {
        wk = await parseVerifierKey(keys.witnesses[w].vkey, 4);
      } catch (e) {
        continue;
      }
      byName[wk.name] = keys.witnesses[w];
      var pub = toB64url(wk.pub);
      if (!(await checkCosignature(note, wk))) {
        continue;
      }
      verified.push(wk.name);
      // In a network, the chain's label; outside, the operator's own
      // policy names the key: its name.
      var label = ownEC ? keys.witnesses[w].label : wk.name;
      if (seen[pub]) {
        if (ownEC && seen[pub].indexOf(label) < 0) {
          seen[pub].push(label);
        }
        continue;
      }
      seen[pub] = [label];
      ok[keys.witnesses[w].label] = true;
      shown.push(seen[pub]);
    }
    // Every cosignature the server counted must verify here too.
    (data.cosigners || []).forEach(function (n) {
      // In a network, a witness from outside it has no key in the chain:
      // its cosignature is not checked here.
      if (verified.indexOf(n) < 0 && (!ownEC || byName[n])) {
        fail("the cosignature of " + n + " does not verify with a key of the chain");
      }
    });
    var witnessed;
    if (!ownEC) {
      witnessed = shown.length > 0;
      if (data.witness === "witnessed" && !met(policy, ok)) {
        fail("the checkpoint's cosignatures do not meet the witness policy");
      }
    } else {
      // In a network the page's word is not taken for the quorum: at
      // least one witness, and as many distinct keys of the chain as the
      // page says the policy needs, must have cosigned for the checkpoint
      // to count as witnessed here.
      witnessed = shown.length >= Math.max(Number(data.quorum) || 0, 1);
      if (data.witness === "witnessed" && !witnessed) {
        fail("fewer witnesses of the trust chain cosigned the checkpoint than the witness policy needs");
      }
    }
    return { names: witnessed ? shown.map(function (ls) { return ls.join(" / "); }) : [], thumbprint: keys.thumbprint };
  }

  function agreement(browserOK) {
    say("browser-agreement", browserOK === data.server_ok ? T.agrees : T.disagrees);
    section.setAttribute("data-agrees", String(browserOK === data.server_ok));
  }

  run().then(function (r) {
    section.setAttribute("data-result", "ok");
    say("browser-result", T.ok);
    say("browser-witnesses", r.names.length ? T.witnessed + " " + r.names.join(", ") : T["not-witnessed"]);
    say("browser-keys", r.thumbprint ? T["keys-anchor"] + " " + r.thumbprint : T["keys-operator"]);
    agreement(true);
  }, function (e) {
    if (!(e instanceof Failure)) {
      // Not a check that failed: a fetch that did not answer (offline,
      // the anchor down), a browser without Ed25519. Nothing to compare.
      section.setAttribute("data-result", "incomplete");
      say("browser-result", T.incomplete + " " + String(e));
      return;
    }
    section.setAttribute("data-result", "failed");
    say("browser-result", T.failed + " " + e.what);
    agreement(false);
  });
})();
