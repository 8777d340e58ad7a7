#!/usr/bin/env python3
"""A minimal SAML 2.0 service provider on python3-saml, for idgate's CI.

It is configured the way a careful integrator would configure python3-saml, so that idgate's
battery meets the library's real checks:

* the IdP comes from an IdP metadata file (OneLogin_Saml2_IdPMetadataParser);
* strict mode on; either the Response or the Assertion may carry the signature
  (wantAssertionsSigned and wantMessagesSigned both false); deprecated algorithms (SHA-1)
  rejected; a NameID required;
* SP-initiated logins remember the AuthnRequest ID so InResponseTo is checked; unsolicited
  (IdP-initiated) responses are allowed, as python3-saml allows them by default;
* replay protection added by the application (python3-saml has none built in).

Routes, all on 127.0.0.1 only:

    POST /acs       SAMLResponse form post -> 200 {"accepted": true, ...} and a session cookie,
                    or 403 {"accepted": false, "errors": [...], "reason": ...}; never a 500
    GET  /whoami    the signed-in user (session cookie) as JSON, or 401
    GET  /login     302 to the IdP with an AuthnRequest (HTTP-Redirect binding)
    GET  /metadata  the SP's metadata

Usage: app.py --port PORT --idp-metadata FILE [--sp-entity-id ID]
(or the environment variables PYSAML_PORT, PYSAML_IDP_METADATA, PYSAML_SP_ENTITY_ID).
"""

import argparse
import json
import os
import secrets
import socketserver
import sys
import threading
import time
import traceback
from http.cookies import SimpleCookie
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings

HOST = "127.0.0.1"
SESSION_COOKIE = "pysaml_session"
REQUEST_COOKIE = "pysaml_authn_request"
# Larger posts are refused before any parsing (oversized-message cases).
MAX_BODY = 2 * 1024 * 1024
# How long an AuthnRequest ID is kept waiting for its Response.
REQUEST_TTL = 600
# Seen IDs are kept at least this long, and in any case until the assertion's NotOnOrAfter plus
# the library's clock drift has passed (after that the library itself refuses the assertion).
REPLAY_FLOOR = 600


def build_settings(idp_metadata_path, base_url, sp_entity_id):
    """python3-saml settings: the IdP from its metadata, this SP at base_url."""
    with open(idp_metadata_path, "rb") as f:
        idp = OneLogin_Saml2_IdPMetadataParser.parse(f.read())
    if "idp" not in idp or "entityId" not in idp["idp"]:
        raise SystemExit("no IDPSSODescriptor in %s" % idp_metadata_path)
    settings = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp_entity_id,
            "assertionConsumerService": {
                "url": base_url + "/acs",
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST,
            },
            "NameIDFormat": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED,
            "x509cert": "",
            "privateKey": "",
        },
        "security": {
            "authnRequestsSigned": False,
            # Either signature is enough (the Web SSO profile allows either); an unsigned
            # Response with an unsigned Assertion is still refused by the library.
            "wantAssertionsSigned": False,
            "wantMessagesSigned": False,
            "wantNameId": True,
            "rejectDeprecatedAlgorithm": True,
            "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
            "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
        },
    }
    # The metadata's NameIDFormat, entity ID, SSO URL and signing certificate win.
    merged = OneLogin_Saml2_IdPMetadataParser.merge_settings(settings, idp)
    # The metadata's WantAuthnRequestsSigned would ask this SP to sign; it has no key.
    merged["security"]["authnRequestsSigned"] = False
    # Validates the whole dict now, so a bad metadata file stops the start, not the first post.
    OneLogin_Saml2_Settings(merged, sp_validation_only=False)
    return merged


class State:
    """Everything the SP remembers, in memory: a restart is a clean target."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = {}  # session token -> user dict
        self.pending_requests = {}  # AuthnRequest ID -> expiry (epoch seconds)
        self.seen_ids = {}  # "assertion:<ID>" / "response:<ID>" -> forget after (epoch seconds)

    def add_request(self, request_id):
        now = time.time()
        with self.lock:
            self._expire(now)
            self.pending_requests[request_id] = now + REQUEST_TTL

    def is_pending(self, request_id):
        with self.lock:
            self._expire(time.time())
            return request_id in self.pending_requests

    def consume_request(self, request_id):
        with self.lock:
            self.pending_requests.pop(request_id, None)

    def check_and_record(self, keys, until):
        """Replay protection: False if any of keys was seen before, else records them all."""
        now = time.time()
        with self.lock:
            self._expire(now)
            if any(k in self.seen_ids for k in keys):
                return False
            for k in keys:
                self.seen_ids[k] = max(until, now + REPLAY_FLOOR)
            return True

    def _expire(self, now):
        for d in (self.pending_requests, self.seen_ids):
            for k in [k for k, t in d.items() if t < now]:
                del d[k]


class App:
    def __init__(self, settings, host_port):
        self.settings = settings
        self.host_port = host_port
        self.state = State()

    # -- WSGI plumbing ---------------------------------------------------------------------

    def __call__(self, environ, start_response):
        try:
            status, headers, body = self.route(environ)
        except Exception as err:  # never a 500 traceback
            traceback.print_exc(file=sys.stderr)
            status, headers, body = self.json(403, {
                "accepted": False,
                "errors": ["internal_error"],
                "reason": "%s: %s" % (type(err).__name__, err),
            })
        start_response(status, headers)
        return [body]

    def route(self, environ):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if path == "/acs":
            if method != "POST":
                return self.json(405, {"error": "POST a SAMLResponse here"})
            return self.acs(environ)
        if path == "/whoami" and method == "GET":
            return self.whoami(environ)
        if path == "/login" and method == "GET":
            return self.login(environ)
        if path == "/metadata" and method == "GET":
            return self.metadata()
        return self.json(404, {"error": "not found"})

    @staticmethod
    def json(code, obj, extra_headers=()):
        body = json.dumps(obj, indent=None, sort_keys=False).encode("utf-8")
        reason = {200: "OK", 302: "Found", 401: "Unauthorized", 403: "Forbidden",
                  404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large"}[code]
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                   ("Cache-Control", "no-store")]
        headers.extend(extra_headers)
        return "%d %s" % (code, reason), headers, body

    def request_data(self, path, post_data=None, get_data=None):
        # The SP's own URL comes from its configuration, not from the Host header, so
        # Destination and Recipient are compared with the one ACS URL this SP has.
        return {
            "https": "off",
            "http_host": self.host_port,
            "script_name": path,
            "get_data": get_data or {},
            "post_data": post_data or {},
        }

    @staticmethod
    def cookies(environ):
        jar = SimpleCookie()
        try:
            jar.load(environ.get("HTTP_COOKIE", ""))
        except Exception:
            return {}
        return {k: m.value for k, m in jar.items()}

    # -- routes ----------------------------------------------------------------------------

    def reject(self, errors, reason, extra_headers=()):
        return self.json(403, {"accepted": False, "errors": errors, "reason": reason},
                         extra_headers)

    def acs(self, environ):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return self.json(413, {"accepted": False, "errors": ["too_large"],
                                   "reason": "body over %d bytes" % MAX_BODY})
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        form = parse_qs(body.decode("latin-1"), keep_blank_values=True)
        values = form.get("SAMLResponse", [])
        if not values:
            return self.reject(["invalid_binding"], "no SAMLResponse in the form")
        # Like most web frameworks, the first value of a repeated parameter is the one used.
        post_data = {"SAMLResponse": values[0]}
        if "RelayState" in form:
            post_data["RelayState"] = form["RelayState"][0]

        # InResponseTo: a response to an SP-initiated login must answer a request this SP sent.
        # The browser that started the login carries its request ID in a cookie; without the
        # cookie the ID must still be one this SP issued and has not used. python3-saml then
        # compares it with the Response's InResponseTo (process_response(request_id=...)).
        # A response without InResponseTo is unsolicited (IdP-initiated) and is allowed with
        # request_id=None, python3-saml's default behaviour.
        clear_request_cookie = (
            ("Set-Cookie", "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" % REQUEST_COOKIE),)
        cookie_request = self.cookies(environ).get(REQUEST_COOKIE)
        try:
            in_response_to = OneLogin_Saml2_Response(
                OneLogin_Saml2_Settings(self.settings), post_data["SAMLResponse"]
            ).get_in_response_to()
        except Exception as err:
            return self.reject(["invalid_response"], "%s: %s" % (type(err).__name__, err))
        request_id = None
        if cookie_request and self.state.is_pending(cookie_request):
            request_id = cookie_request
        elif in_response_to is not None:
            if not self.state.is_pending(in_response_to):
                return self.reject(
                    ["invalid_response"],
                    "InResponseTo %s names no outstanding AuthnRequest of this SP"
                    % in_response_to)
            request_id = in_response_to

        auth = OneLogin_Saml2_Auth(self.request_data("/acs", post_data=post_data),
                                   old_settings=self.settings)
        try:
            auth.process_response(request_id=request_id)
        except Exception as err:
            return self.reject(auth.get_errors() or ["invalid_response"],
                               "%s: %s" % (type(err).__name__, err))
        errors = auth.get_errors()
        if errors or not auth.is_authenticated():
            return self.reject(errors or ["not_authenticated"], auth.get_last_error_reason())

        # Replay protection, which python3-saml leaves to the application: the IDs of every
        # accepted Response and Assertion are remembered until the assertion could no longer be
        # accepted anyway, and a second use of either is refused. Only accepted messages are
        # recorded, so unsigned junk cannot fill the list or block a real login.
        assertion_id = auth.get_last_assertion_id()
        message_id = auth.get_last_message_id()
        if not assertion_id or not message_id:
            return self.reject(["invalid_response"], "no Response or Assertion ID: cannot "
                               "guard against replay")
        until = time.time()
        not_on_or_after = auth.get_last_assertion_not_on_or_after()
        if not_on_or_after:
            until = not_on_or_after + OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT
        if not self.state.check_and_record(
                ["assertion:" + assertion_id, "response:" + message_id], until):
            return self.reject(["replay"], "Response %s or Assertion %s was already used"
                               % (message_id, assertion_id))
        if request_id is not None:
            self.state.consume_request(request_id)

        user = {
            "name_id": auth.get_nameid(),
            "name_id_format": auth.get_nameid_format(),
            "session_index": auth.get_session_index(),
            "attributes": auth.get_attributes(),
            "assertion_id": assertion_id,
            "response_id": message_id,
            "in_response_to": request_id,
        }
        token = secrets.token_urlsafe(32)
        with self.state.lock:
            self.state.sessions[token] = user
        headers = (("Set-Cookie", "%s=%s; Path=/; HttpOnly; SameSite=Lax"
                    % (SESSION_COOKIE, token)),) + clear_request_cookie
        return self.json(200, dict({"accepted": True}, **user), headers)

    def whoami(self, environ):
        token = self.cookies(environ).get(SESSION_COOKIE)
        with self.state.lock:
            user = self.state.sessions.get(token) if token else None
        if user is None:
            return self.json(401, {"authenticated": False})
        return self.json(200, dict({"authenticated": True}, **user))

    def login(self, environ):
        auth = OneLogin_Saml2_Auth(self.request_data("/login"), old_settings=self.settings)
        url = auth.login(return_to="http://%s/whoami" % self.host_port)
        request_id = auth.get_last_request_id()
        self.state.add_request(request_id)
        headers = [("Location", url),
                   ("Set-Cookie", "%s=%s; Path=/; Max-Age=%d; HttpOnly"
                    % (REQUEST_COOKIE, request_id, REQUEST_TTL)),
                   ("X-AuthnRequest-ID", request_id)]
        return self.json(302, {"location": url, "request_id": request_id}, headers)

    def metadata(self):
        settings = OneLogin_Saml2_Settings(self.settings, sp_validation_only=True)
        xml = settings.get_sp_metadata()
        errors = settings.validate_metadata(xml)
        if errors:
            return self.json(403, {"error": "invalid SP metadata", "errors": errors})
        if isinstance(xml, str):
            xml = xml.encode("utf-8")
        return "200 OK", [("Content-Type", "application/samlmetadata+xml"),
                          ("Content-Length", str(len(xml)))], xml


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=int(os.environ.get("PYSAML_PORT", "0") or 0))
    p.add_argument("--idp-metadata", default=os.environ.get("PYSAML_IDP_METADATA"))
    p.add_argument("--sp-entity-id", default=os.environ.get("PYSAML_SP_ENTITY_ID"))
    args = p.parse_args()
    if not args.port or not args.idp_metadata:
        p.error("--port and --idp-metadata are required")
    host_port = "%s:%d" % (HOST, args.port)
    base_url = "http://" + host_port
    sp_entity_id = args.sp_entity_id or base_url + "/metadata"
    app = App(build_settings(args.idp_metadata, base_url, sp_entity_id), host_port)
    httpd = make_server(HOST, args.port, app, server_class=ThreadingWSGIServer,
                        handler_class=QuietHandler)
    sys.stderr.write("python3-saml SP %s listening on %s (ACS %s/acs)\n"
                     % (sp_entity_id, base_url, base_url))
    sys.stderr.flush()
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
