"""A small real HTTP server on 127.0.0.1 in a thread, for the fake trackers and the Slack receiver.

Each fake implements the documented subset of its service and answers malformed requests the way the real one
does. Faults can be queued: an answer of the test's choosing (429 with Retry-After, 401), or a dropped connection
before or after the request was carried out."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Request:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Fault:
    """What to do instead of (or after) answering the next matching request."""

    method: str
    path_prefix: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    drop: bool = False
    after: bool = False
    times: int = 1
    skip: int = 0


def json_answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    """A JSON answer."""
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode()


class FakeService:
    """A real HTTP server; subclasses implement handle()."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL of the running server."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeService:
        """Start serving in a thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, method: str, path_prefix: str, **kwargs: Any) -> None:
        """Queue a fault for the next request(s) with this method and path prefix."""
        with self.lock:
            self.faults.append(Fault(method, path_prefix, **kwargs))

    def calls(self, method: str, path_prefix: str = "") -> list[Request]:
        """The requests received with a method and path prefix."""
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def _fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method == method and path.startswith(fault.path_prefix):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        request = Request(handler.command, parts.path, query, {k.lower(): v for k, v in handler.headers.items()}, body)
        with self.lock:
            self.requests.append(request)
        fault = self._fault(request.method, request.path)
        if fault is not None and fault.drop and not fault.after:
            handler.close_connection = True
            return
        if fault is not None and fault.status is not None:
            answer: Answer = json_answer(fault.status, fault.body if fault.body is not None else {}, fault.headers)
        else:
            with self.lock:
                answer = self.handle(request)
        if fault is not None and fault.drop and fault.after:
            handler.close_connection = True
            return
        status, headers, payload = answer
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def handle(self, request: Request) -> Answer:
        """Answer one request (subclasses)."""
        raise NotImplementedError


class SlackReceiver(FakeService):
    """A Slack incoming webhook: POST JSON with `text` (or `blocks`) to the hook's path; answers `ok`."""

    def __init__(self, path: str = "/services/T000/B000/XXXXXXXX") -> None:
        super().__init__()
        self.path = path
        self.messages: list[dict[str, Any]] = []

    @property
    def webhook_url(self) -> str:
        """The webhook URL to configure."""
        return self.url + self.path

    def handle(self, request: Request) -> Answer:
        """Slack answers `ok`, or a plain-text error code with a 4xx status."""
        text = {"Content-Type": "text/plain"}
        if request.method != "POST":
            return 405, text, b"invalid_method"
        if request.path != self.path:
            return 404, text, b"no_service"
        if not request.headers.get("content-type", "").startswith("application/json"):
            return 400, text, b"invalid_payload"
        try:
            payload = request.json()
        except ValueError:
            return 400, text, b"invalid_payload"
        if not isinstance(payload, dict) or not (
            (isinstance(payload.get("text"), str) and payload["text"].strip()) or payload.get("blocks")
        ):
            return 400, text, b"no_text"
        self.messages.append(payload)
        return 200, text, b"ok"
