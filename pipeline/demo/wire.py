"""The fake Trakt on the wire: a threading HTTP server and its handler, which reads each request, asks the
fake (``fake_trakt.FakeTrakt``) what to do with it, and writes the answer, or half of it, or a reset."""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.demo.fake_trakt import FakeTrakt

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as it arrived; header names are lower-cased, ``path`` has no query string."""

    method: str
    path: str
    headers: dict[str, str]
    time: float  # the fake's clock (time.monotonic by default) at arrival
    query: str = ""
    client_port: int = 0  # the same port on two requests means the connection was kept alive


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[Handler], fake: FakeTrakt) -> None:
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End the kept-alive connections, so their handler threads stop waiting for a request."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away (timeouts, resets): nothing to report
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: no access log on stderr

    def _handle(self) -> None:
        fake = self.server.fake
        self._drain_body()
        path, _, query = self.path.partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = ReceivedRequest(self.command, path, headers, fake.clock(), query, self.client_address[1])
        fault = fake._arrive(request)
        if fault is not None:
            fake._sleep(fake.latency + fault.delay)
            if fault.reset:
                self._reset()
                return
            if fault.cut:
                self._send_cut(
                    fake._fault_answer(fault)
                    if fault.status is not None or fault.body is not None
                    else fake._trakt_answer(self.command, path, headers, query)
                )
                return
            if fault.replaces_answer:
                self._send(fake._fault_answer(fault))
                return
        self._send(fake._answer(self.command, path, headers, query))

    def _drain_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)

    def _send(self, answer: Answer) -> None:
        try:
            self.send_response(answer.status, reason(answer.status))
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its timeout passed)

    def _send_cut(self, answer: Answer) -> None:
        """Announce the whole body, send half of it, close: the client sees the transfer cut short."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.send_response(answer.status, reason(answer.status))
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body[: len(answer.body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def _reset(self) -> None:
        """Close the socket with SO_LINGER 0, so the client sees a connection reset (RST)."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # drop the makefile reference, so close() really closes the descriptor
        self.connection.close()


CLOUDFLARE_REASONS = {520: "Unknown Error", 521: "Web Server Is Down", 522: "Connection Timed Out"}


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return CLOUDFLARE_REASONS.get(status, "Error")
