"""A real HTTP server on loopback that serves the template's routes with the same handlers (as API
Gateway would), and pages of Debian's chromium (tests/conftest.py) sized as the tests need."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from odwolaj_local.apigw import build_event, match, response_body
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from odwolaj_local.template import application


class _Gateway(BaseHTTPRequestHandler):
    # A Lambda instance handles one event at a time; the resolver keeps the current event globally.
    lock = threading.Lock()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        found = match(application().routes, self.command, url.path)
        if not found:
            self.send_error(404)
            return
        route, params = found
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        event = build_event(route, params, self.command, url.path, query=url.query, headers=dict(self.headers),
                            body=body, source_ip=self.client_address[0])
        with self.lock:
            response = load_handler(route.function)(event, FakeLambdaContext(route.function))
        payload = response_body(response)
        self.send_response(response["statusCode"])
        for name, value in (response.get("headers") or {}).items():
            self.send_header(name, value)
        for cookie in response.get("cookies") or []:  # payload format 2.0: each one a Set-Cookie
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve

    def log_message(self, *args) -> None:  # URLs carry link tokens: keep them out of the output
        pass


@pytest.fixture
def site(aws):
    """Base URL of the app on 127.0.0.1 and a free port, for the duration of one test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def phone_page(chromium):
    """A page the size of a phone screen, in Polish."""
    context = chromium.new_context(viewport={"width": 412, "height": 915}, locale="pl-PL")
    yield context.new_page()
    context.close()


@pytest.fixture
def no_js_page(chromium):
    context = chromium.new_context(java_script_enabled=False, locale="pl-PL")
    yield context.new_page()
    context.close()
