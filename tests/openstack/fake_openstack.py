"""A small fake of an OpenStack API service and of Keystone, for fast unit tests.

Imported by the tests (a Keystone in a thread) and run as a script by the
agent under test (the "service" process it starts, stops and monitors):

    python fake_openstack.py --port 8776 --config cinder.conf \
        --keystone http://127.0.0.1:5000 [--role keystone] [--disable-file F] \
        [--fail-file F] [--api-fail-file F] [--token-fail-file F] \
        [--keystone-down-status 503] [--no-healthcheck] [--log-requests]
        [--plant-symlink LINK TARGET] [--plant-fifo PATH] [--exit-at-start N]

Endpoints: GET /healthcheck (200 "OK"; 503 "DISABLED BY FILE" while the
disable file exists, as oslo.middleware's disable_by_file; 503 "database
unreachable" while the fail file exists), GET / (300, versions), GET /v3,
POST /v3/auth/tokens (201 + X-Subject-Token, password or application
credential), GET /v3/auth/tokens (validate), and the services' cheap calls
GET /v2/images, /v3/<project>/types, /v2/types (500 while the api fail
file exists). A non-keystone service validates tokens against --keystone over
HTTP, like keystonemiddleware: when Keystone does not answer it returns
--keystone-down-status. As a process it prints each request line (with
--log-requests) and the signal that ends it, to its output (the agent's
log_file).
"""

import argparse
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROJECT_ID = "0123456789abcdef0123456789abcdef"
USERS = {("admin", "Default"): "s3cret-Pa55"}
APP_CREDS = {"appcred-id-1": "appcred-S3cret"}
TOKEN_LIFETIME = 3600


class State:
    """What a fake server knows and was asked (shared with its handler)."""

    def __init__(self, role="service", keystone=None, disable_file=None, fail_file=None,
                 keystone_down_status=503, healthcheck=True, config=None, api_fail_file=None,
                 token_fail_file=None, log_requests=False):
        self.role = role
        self.keystone = keystone
        self.disable_file = disable_file
        self.fail_file = fail_file
        self.keystone_down_status = keystone_down_status
        self.healthcheck = healthcheck
        self.config = config
        self.api_fail_file = api_fail_file
        self.token_fail_file = token_fail_file
        self.log_requests = log_requests
        self.tokens = {}               # token -> expires (epoch)
        self.requests = []             # (method, path, headers dict)
        self.token_posts = 0
        self.token_status = None       # force POST /v3/auth/tokens to answer this
        self.lock = threading.Lock()


def expires_at(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(epoch))


class Handler(BaseHTTPRequestHandler):
    state: State = None
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):      # quiet
        pass

    def reply(self, status, body=b"", headers=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def record(self):
        with self.state.lock:
            self.state.requests.append((self.command, self.path, dict(self.headers.items())))
        if self.state.log_requests:
            version = self.headers.get("X-OpenStack-Manila-API-Version")
            print(f"request {self.command} {self.path}" + (f" manila-version={version}" if version else ""),
                  flush=True)

    # -- routes --------------------------------------------------------------------------
    def do_GET(self):
        self.record()
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        st = self.state
        if path == "/healthcheck" and st.healthcheck:
            if st.disable_file and os.path.exists(st.disable_file):
                return self.reply(503, "DISABLED BY FILE", content_type="text/plain")
            if st.fail_file and os.path.exists(st.fail_file):
                return self.reply(503, "database unreachable", content_type="text/plain")
            return self.reply(200, "OK", content_type="text/plain")
        if path == "/":
            return self.reply(300, {"versions": {"values": [{"id": "v3.14", "status": "stable"}]}})
        if path == "/v3":
            return self.reply(200, {"version": {"id": "v3.14"}})
        if path == "/v3/auth/tokens" and st.role == "keystone":
            ok = self.valid(self.headers.get("X-Auth-Token")) and self.valid(
                self.headers.get("X-Subject-Token"))
            return self.reply(200 if ok else 404, {"token": {}} if ok else {"error": {}})
        if path in ("/v2/images", f"/v3/{PROJECT_ID}/types", "/v2/types"):
            if path == "/v2/types" and not self.headers.get("X-OpenStack-Manila-API-Version"):
                return self.reply(406, {"error": "version header missing"})
            status = self.authorize()
            if status == 200 and self.state.api_fail_file and os.path.exists(self.state.api_fail_file):
                status = 500
            if status != 200:
                return self.reply(status, {"error": {"code": status}})
            return self.reply(200, {"images": [], "volume_types": [], "share_types": []})
        return self.reply(404, {"error": "not found"})

    def do_POST(self):
        self.record()
        st = self.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v3/auth/tokens" or st.role != "keystone":
            return self.reply(404, {"error": "not found"})
        with st.lock:
            st.token_posts += 1
        if st.token_status is not None:
            return self.reply(st.token_status, {"error": {"code": st.token_status}})
        if st.token_fail_file and os.path.exists(st.token_fail_file):
            return self.reply(500, {"error": {"code": 500, "title": "Internal Server Error"}})
        try:
            identity = json.loads(raw)["auth"]["identity"]
        except (ValueError, KeyError, TypeError):
            return self.reply(400, {"error": "malformed"})
        if identity.get("methods") == ["password"]:
            user = identity["password"]["user"]
            good = USERS.get((user.get("name"), user.get("domain", {}).get("name"))) == user.get("password")
        elif identity.get("methods") == ["application_credential"]:
            cred = identity["application_credential"]
            good = APP_CREDS.get(cred.get("id")) == cred.get("secret")
        else:
            good = False
        if not good:
            return self.reply(401, {"error": {"code": 401, "title": "Unauthorized"}})
        token = "gAAAA" + secrets.token_urlsafe(24)
        expires = time.time() + TOKEN_LIFETIME
        with st.lock:
            st.tokens[token] = expires
        return self.reply(201, {"token": {"expires_at": expires_at(expires),
                                          "project": {"id": PROJECT_ID, "name": "admin"}}},
                          headers={"X-Subject-Token": token})

    # -- helpers -------------------------------------------------------------------------
    def valid(self, token):
        with self.state.lock:
            return bool(token) and self.state.tokens.get(token, 0) > time.time()

    def authorize(self):
        """200, 401 (bad token) or keystone_down_status (Keystone not answering)."""
        token = self.headers.get("X-Auth-Token")
        if not token:
            return 401
        req = urllib.request.Request(self.state.keystone.rstrip("/") + "/v3/auth/tokens",
                                     headers={"X-Auth-Token": token, "X-Subject-Token": token})
        try:
            with urllib.request.urlopen(req, timeout=2) as r:
                return 200 if r.status == 200 else 401
        except urllib.error.HTTPError as exc:
            return self.state.keystone_down_status if exc.code >= 500 else 401
        except OSError:
            return self.state.keystone_down_status


def serve(state: State, host="127.0.0.1", port=0) -> ThreadingHTTPServer:
    """A server for ``state`` (not started); ``server.server_address[1]`` is its port."""
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--config", "--config-file", dest="config", required=True)
    ap.add_argument("--role", default="service", choices=("service", "keystone"))
    ap.add_argument("--keystone", default="http://127.0.0.1:1")
    ap.add_argument("--disable-file")
    ap.add_argument("--fail-file")
    ap.add_argument("--api-fail-file")
    ap.add_argument("--token-fail-file")
    ap.add_argument("--log-requests", action="store_true")
    ap.add_argument("--keystone-down-status", type=int, default=503)
    ap.add_argument("--no-healthcheck", action="store_true")
    ap.add_argument("--exit-at-start", type=int, default=None,
                    help="print a message and exit with this status (a broken service)")
    ap.add_argument("--plant-symlink", nargs=2, action="append", default=[], metavar=("LINK", "TARGET"),
                    help="replace LINK by a symlink to TARGET first (a hostile service user)")
    ap.add_argument("--plant-fifo", action="append", default=[], metavar="PATH",
                    help="replace PATH by a FIFO first (a hostile service user)")
    args, _unknown = ap.parse_known_args(argv)
    for link, target in args.plant_symlink:
        _remove(link)
        os.symlink(target, link)
    for path in args.plant_fifo:
        _remove(path)
        os.mkfifo(path)
    if args.exit_at_start is not None:
        print("fake service: cannot load the configuration: boom", flush=True)
        sys.exit(args.exit_at_start)
    if not os.path.isfile(args.config):
        print(f"fake service: {args.config} missing", flush=True)
        sys.exit(2)
    state = State(args.role, args.keystone, args.disable_file, args.fail_file,
                  args.keystone_down_status, not args.no_healthcheck, args.config,
                  args.api_fail_file, args.token_fail_file, args.log_requests)
    server = serve(state, port=args.port)

    def on_signal(number, _frame):
        print(f"fake service: got signal {number}, exiting", flush=True)
        os._exit(0)
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(number, on_signal)
    print(f"fake service {args.role} listening on {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
