#!/usr/bin/env node
// A minimal SAML 2.0 service provider on saml2-js 4.0.4, for idgate's CI.
//
// It is configured the way a careful integrator would configure saml2-js, so that idgate's
// battery meets the library's real checks, and adds only what the library leaves to the
// application (as ../python3-saml-sp/app.py does for python3-saml):
//
// * the IdP comes from an IdP metadata file: its signing certificate(s) and its HTTP-Redirect
//   SingleSignOnService;
// * signatures are always checked (saml2-js takes a signed Assertion or a signed Response, see
//   README.md), the Audience is the SP entity ID, the clock skew is the library's default
//   (notbefore_skew 1 s for NotBefore, none for NotOnOrAfter), a SessionIndex is required;
// * plain (unencrypted) assertions are allowed: idgate does not encrypt;
// * SP-initiated logins remember the AuthnRequest ID and the ACS checks InResponseTo, which
//   saml2-js only reports (response_header.in_response_to); unsolicited responses are allowed;
// * replay protection (saml2-js has none).
//
// saml2-js checks no Issuer, no Destination and no SubjectConfirmation; this shell does not add
// those checks either, so that a run shows what the library itself does (findings.md).
//
// Routes, all on 127.0.0.1 only:
//
//   POST /acs       SAMLResponse form post -> 200 {"accepted": true, ...} and a session cookie,
//                   or 403 {"accepted": false, "error": ...} and no cookie; never a 500
//   GET  /whoami    the signed-in user (session cookie) as JSON, or 401
//   GET  /login     302 to the IdP with an AuthnRequest (HTTP-Redirect binding)
//   GET  /metadata  the SP's metadata
//
// Usage: node server.js --port PORT --idp-metadata FILE --sp-key FILE --sp-cert FILE
//                       [--sp-entity-id ID]
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
// The XML parser saml2-js itself parses with (its dependency, the same copy): the shell reads the
// IdP metadata and the IDs for the replay cache with it, so it sees the tree the library checked.
const { DOMParser } = require('@xmldom/xmldom');
const saml2 = require('saml2-js');

const HOST = '127.0.0.1';
const SESSION_COOKIE = 'saml2js_session';
const REQUEST_COOKIE = 'saml2js_authn_request';
// Larger posts are refused before any parsing (oversized-message cases).
const MAX_BODY = 2 * 1024 * 1024;
// How long an AuthnRequest ID is kept waiting for its Response (seconds).
const REQUEST_TTL = 600;
// Seen IDs are kept at least this long (seconds), and in any case until the assertion's
// Conditions NotOnOrAfter has passed: after that saml2-js itself refuses the assertion.
const REPLAY_FLOOR = 600;
// A verdict that has not come in this time is a 403: a callback the library never calls (an
// exception thrown inside its async steps) must not leave idgate waiting for its timeout.
const VERDICT_TIMEOUT_MS = 10000;

const NS = {
  SAML: 'urn:oasis:names:tc:SAML:2.0:assertion',
  MD: 'urn:oasis:names:tc:SAML:2.0:metadata',
  DS: 'http://www.w3.org/2000/09/xmldsig#',
};
const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1];
    if (!k.startsWith('--') || v === undefined) usage(`bad argument ${k}`);
    args[k.slice(2)] = v;
  }
  for (const k of ['port', 'idp-metadata', 'sp-key', 'sp-cert']) {
    if (!args[k]) usage(`--${k} is required`);
  }
  if (!/^[0-9]+$/.test(args.port)) usage('--port must be a number');
  return args;
}

function usage(why) {
  process.stderr.write(`${why}\nusage: server.js --port PORT --idp-metadata FILE ` +
    '--sp-key FILE --sp-cert FILE [--sp-entity-id ID]\n');
  process.exit(2);
}

// Throws on anything xmldom only warns about: a document the parser had to repair is not one
// to read a certificate or an ID from.
function parseStrict(xml) {
  const fail = (msg) => { throw new Error(`XML: ${msg}`); };
  return new DOMParser({ errorHandler: { warning: fail, error: fail, fatalError: fail } })
    .parseFromString(xml, 'text/xml');
}

// The IdP as saml2-js wants it, from metadata as idgate writes it (saml::metadata::idp_metadata).
function readIdpMetadata(file) {
  const doc = parseStrict(fs.readFileSync(file, 'utf8'));
  const idps = doc.getElementsByTagNameNS(NS.MD, 'IDPSSODescriptor');
  if (idps.length !== 1) throw new Error(`${file}: expected 1 IDPSSODescriptor, found ${idps.length}`);
  const idp = idps[0];
  const entityId = doc.documentElement.getAttribute('entityID');
  const certificates = [];
  for (const kd of Array.from(idp.getElementsByTagNameNS(NS.MD, 'KeyDescriptor'))) {
    // A KeyDescriptor without `use` serves both signing and encryption.
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const c of Array.from(kd.getElementsByTagNameNS(NS.DS, 'X509Certificate'))) {
      certificates.push(c.textContent.replace(/\s+/g, ''));
    }
  }
  let ssoUrl = null;
  for (const sso of Array.from(idp.getElementsByTagNameNS(NS.MD, 'SingleSignOnService'))) {
    // saml2-js sends its AuthnRequest by redirect, so only that binding's endpoint will do.
    if (sso.getAttribute('Binding') === REDIRECT_BINDING) { ssoUrl = sso.getAttribute('Location'); break; }
  }
  // The format the IdP says it issues is the one to ask for (the library's default: unspecified).
  const format = idp.getElementsByTagNameNS(NS.MD, 'NameIDFormat')[0];
  const nameIdFormat = format ? format.textContent.trim() : undefined;
  if (!entityId || certificates.length === 0 || !ssoUrl) {
    throw new Error(`${file}: needs an entityID, a signing certificate and an HTTP-Redirect ` +
      'SingleSignOnService');
  }
  return { entityId, certificates, ssoUrl, nameIdFormat };
}

// Everything the SP remembers, in memory: a restart is a clean target.
const state = {
  sessions: new Map(), // session token -> user
  pending: new Map(), // AuthnRequest ID -> expiry (ms)
  seen: new Map(), // "assertion:<ID>" / "response:<ID>" -> forget after (ms)
};

function expire(now) {
  for (const m of [state.pending, state.seen]) {
    for (const [k, t] of m) if (t < now) m.delete(k);
  }
}

function isPending(id) {
  expire(Date.now());
  return state.pending.has(id);
}

// Replay protection: false if any key was seen before, else records them all. Only accepted
// messages get here, so unsigned junk cannot fill the list or block a real login.
function checkAndRecord(keys, until) {
  const now = Date.now();
  expire(now);
  if (keys.some((k) => state.seen.has(k))) return false;
  for (const k of keys) state.seen.set(k, Math.max(until, now + REPLAY_FLOOR * 1000));
  return true;
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function send(res, code, body, headers = {}) {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': typeof body === 'string' ? 'application/samlmetadata+xml' : 'application/json',
    'Content-Length': Buffer.byteLength(data),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(data);
}

function reject(res, error) {
  res.verdict = error;
  send(res, 403, { accepted: false, error });
}

// The Assertion saml2-js accepted, read again from the posted XML for the IDs and limits the
// library does not return. saml2-js has already insisted on exactly one Assertion (or one
// EncryptedAssertion, which this SP never receives: idgate does not encrypt).
function assertionFacts(xml) {
  const doc = new DOMParser({ errorHandler: { warning() {}, error() {} } })
    .parseFromString(xml, 'text/xml');
  const assertions = doc.getElementsByTagNameNS(NS.SAML, 'Assertion');
  if (assertions.length !== 1) return null;
  const a = assertions[0];
  const conditions = a.getElementsByTagNameNS(NS.SAML, 'Conditions')[0];
  const notOnOrAfter = conditions ? Date.parse(conditions.getAttribute('NotOnOrAfter')) : NaN;
  return { id: a.getAttribute('ID'), notOnOrAfter };
}

function makeApp(opts) {
  const { sp, idp, hostPort } = opts;

  function acs(req, res, body) {
    // Like most web frameworks, the first value of a repeated parameter is the one used.
    const form = new URLSearchParams(body.toString('latin1'));
    const samlResponse = form.get('SAMLResponse');
    if (samlResponse === null) return reject(res, 'no SAMLResponse in the form');

    // saml2-js parses inside asynchronous steps without a try: a fatal xmldom error (a repeated
    // attribute, say), or a TypeError on an empty document, is thrown there and never reaches
    // post_assert's callback. Parse the same bytes first (the library decodes with
    // Buffer.from(..., 'base64') too) and refuse those documents here. Quietly: the library's
    // own parse logs the same warnings a moment later.
    const xml = Buffer.from(samlResponse, 'base64').toString();
    let fatal = null;
    const doc = new DOMParser({
      errorHandler: { warning() {}, error() {}, fatalError(msg) { fatal = fatal || msg; } },
    }).parseFromString(xml, 'text/xml');
    // An empty document gives no tree at all, which the library would then dereference.
    if (fatal || !doc) return reject(res, `unparsable XML: ${fatal || 'no document'}`);

    let answered = false;
    const timer = setTimeout(() => {
      answered = true;
      reject(res, 'saml2-js gave no verdict');
    }, VERDICT_TIMEOUT_MS);
    sp.post_assert(idp, { request_body: { SAMLResponse: samlResponse } }, (err, saml) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      if (err) {
        const extra = err.extra ? ` ${JSON.stringify(err.extra)}` : '';
        return reject(res, `${err.message}${extra}`);
      }
      if (saml.type !== 'authn_response') return reject(res, `not an authn response: ${saml.type}`);
      const header = saml.response_header || {};

      // InResponseTo: saml2-js reports it and leaves the check to the application. A Response
      // that answers a login must name an AuthnRequest this SP issued and has not used. The
      // browser that started the login carries its request ID in a cookie; without the cookie
      // the ID must still be one this SP has outstanding. A Response without InResponseTo is
      // unsolicited (IdP-initiated) and allowed, as python3-saml's shell allows it.
      const cookieRequest = cookies(req)[REQUEST_COOKIE];
      const inResponseTo = header.in_response_to;
      let requestId = null;
      if (inResponseTo !== undefined) {
        if (cookieRequest && isPending(cookieRequest)) {
          if (inResponseTo !== cookieRequest) {
            return reject(res, `InResponseTo ${inResponseTo} does not match this browser's ` +
              `AuthnRequest ${cookieRequest}`);
          }
        } else if (!isPending(inResponseTo)) {
          return reject(res, `InResponseTo ${inResponseTo} names no outstanding AuthnRequest ` +
            'of this SP');
        }
        requestId = inResponseTo;
      }

      // Replay protection, which saml2-js leaves to the application: the IDs of every accepted
      // Response and Assertion are remembered until the assertion could no longer be accepted
      // anyway, and a second use of either is refused.
      const facts = assertionFacts(xml);
      if (!facts || !facts.id || !header.id) {
        return reject(res, 'no Response or Assertion ID: cannot guard against replay');
      }
      // No Conditions NotOnOrAfter: saml2-js would accept the assertion forever, so is its ID kept.
      const until = Number.isNaN(facts.notOnOrAfter) ? Infinity : facts.notOnOrAfter;
      if (!checkAndRecord([`assertion:${facts.id}`, `response:${header.id}`], until)) {
        return reject(res, `Response ${header.id} or Assertion ${facts.id} was already used`);
      }
      if (requestId !== null) state.pending.delete(requestId);

      const user = {
        name_id: saml.user.name_id ?? null,
        session_index: saml.user.session_index,
        attributes: saml.user.attributes,
        assertion_id: facts.id,
        response_id: header.id,
        in_response_to: requestId,
      };
      const token = crypto.randomBytes(32).toString('base64url');
      state.sessions.set(token, user);
      const setCookie = [`${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax`];
      if (cookieRequest) setCookie.push(`${REQUEST_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`);
      send(res, 200, { accepted: true, ...user }, { 'Set-Cookie': setCookie });
    });
  }

  function whoami(req, res) {
    const token = cookies(req)[SESSION_COOKIE];
    const user = token ? state.sessions.get(token) : undefined;
    if (!user) return send(res, 401, { authenticated: false });
    send(res, 200, { authenticated: true, ...user });
  }

  function login(req, res) {
    sp.create_login_request_url(idp, { relay_state: `http://${hostPort}/whoami` }, (err, url, id) => {
      if (err) return send(res, 500, { error: err.message });
      state.pending.set(id, Date.now() + REQUEST_TTL * 1000);
      send(res, 302, { location: url, request_id: id }, {
        Location: url,
        'Set-Cookie': `${REQUEST_COOKIE}=${id}; Path=/; Max-Age=${REQUEST_TTL}; HttpOnly; SameSite=Lax`,
        'X-AuthnRequest-ID': id,
      });
    });
  }

  return (req, res) => {
    const path = new URL(req.url, `http://${hostPort}`).pathname;
    // One line per request, with the reason of a refusal: the log is how a CI failure is read.
    res.on('finish', () => {
      const why = res.verdict ? ` ${res.verdict}` : '';
      process.stderr.write(`${new Date().toISOString()} ${req.method} ${path} ${res.statusCode}${why}\n`);
    });
    try {
      if (path === '/acs') {
        if (req.method !== 'POST') return send(res, 405, { error: 'POST a SAMLResponse here' });
        const declared = Number(req.headers['content-length'] || 0);
        if (declared > MAX_BODY) {
          res.setHeader('Connection', 'close');
          return send(res, 413, { accepted: false, error: `body over ${MAX_BODY} bytes` });
        }
        const chunks = [];
        let size = 0;
        req.on('data', (c) => {
          size += c.length;
          if (size <= MAX_BODY) chunks.push(c);
        });
        req.on('end', () => {
          if (size > MAX_BODY) {
            return send(res, 413, { accepted: false, error: `body over ${MAX_BODY} bytes` });
          }
          try {
            acs(req, res, Buffer.concat(chunks));
          } catch (err) {
            process.stderr.write(`${err.stack}\n`);
            if (!res.headersSent) reject(res, `${err.name}: ${err.message}`);
          }
        });
        return undefined;
      }
      if (path === '/whoami' && req.method === 'GET') return whoami(req, res);
      if (path === '/login' && req.method === 'GET') return login(req, res);
      if (path === '/metadata' && req.method === 'GET') return send(res, 200, sp.create_metadata());
      return send(res, 404, { error: 'not found' });
    } catch (err) {
      // Never a 500 with a stack trace for a case: idgate reads the status.
      process.stderr.write(`${err.stack}\n`);
      if (!res.headersSent) reject(res, `${err.name}: ${err.message}`);
      return undefined;
    }
  };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const port = Number(args.port);
  const hostPort = `${HOST}:${port}`;
  const base = `http://${hostPort}`;
  const entityId = args['sp-entity-id'] || `${base}/metadata`;
  let md;
  try {
    md = readIdpMetadata(args['idp-metadata']);
  } catch (err) {
    // A bad metadata file stops the start (start's poll prints this log), not the first post.
    process.stderr.write(`saml2-js SP: ${err.message}\n`);
    process.exit(1);
  }

  const sp = new saml2.ServiceProvider({
    entity_id: entityId,
    // saml2-js requires an SP key pair: its metadata publishes the certificate and it would
    // decrypt an EncryptedAssertion with the key. This SP signs nothing.
    private_key: fs.readFileSync(args['sp-key'], 'utf8'),
    certificate: fs.readFileSync(args['sp-cert'], 'utf8'),
    assert_endpoint: `${base}/acs`,
    // The Audience must be this SP (the library's default; said here so nobody has to look).
    audience: entityId,
    // notbefore_skew is left at the library's default, 1 s. NotOnOrAfter gets no skew at all.
    allow_unencrypted_assertion: true,
    sign_get_request: false,
    nameid_format: md.nameIdFormat,
  });
  const idp = new saml2.IdentityProvider({
    sso_login_url: md.ssoUrl,
    // Logout is not served; saml2-js wants the option, the sign-in URL stands in.
    sso_logout_url: md.ssoUrl,
    certificates: md.certificates,
  });

  // saml2-js runs its checks in async steps; an exception thrown there cannot be tied to a
  // request. It is logged, the process lives on, and the request's timer answers 403.
  process.on('uncaughtException', (err) => {
    process.stderr.write(`uncaught: ${err && err.stack}\n`);
  });

  const server = http.createServer(makeApp({ sp, idp, hostPort }));
  server.listen(port, HOST, () => {
    process.stderr.write(`saml2-js SP ${entityId} listening on ${base} (ACS ${base}/acs), ` +
      `trusting IdP ${md.entityId} (${md.certificates.length} certificate(s), sign-in ${md.ssoUrl})\n`);
  });
  // Nothing is kept on disk, so there is nothing to finish: stop at once.
  process.on('SIGTERM', () => process.exit(0));
}

main();
