"""How long a sender waits: at most ``CONNECT`` seconds for a connection, ``READ`` for each answer.

One slow or silent provider must not hold a run for minutes: a server that accepts and then says
nothing costs ``READ`` seconds, one that does not accept ``CONNECT`` (the issue 26 fault: a SendGrid
answering after 40 s made a run of 6 digests take 184 s). The libraries take one timeout for both;
these pieces give each its own.
"""

from __future__ import annotations

import http.client
import socket
import urllib.request
from collections.abc import Callable
from typing import Any

import python_http_client

CONNECT = 10.0
READ = 30.0


def connect_socket(host: str, port: int, connect: float, read: float, source: Any = None) -> socket.socket:
    """A TCP connection made within ``connect`` seconds, then waiting ``read`` seconds per answer."""
    sock = socket.create_connection((host, port), connect, source)
    sock.settimeout(read)
    return sock


class _Http(http.client.HTTPConnection):
    def connect(self) -> None:
        _within_connect(self, super().connect)


class _Https(http.client.HTTPSConnection):
    def connect(self) -> None:
        _within_connect(self, super().connect)


def _within_connect(connection: http.client.HTTPConnection, connect: Callable[[], None]) -> None:
    """Connect (and shake hands) within CONNECT seconds; then the connection's timeout per answer."""
    read = connection.timeout
    timed = isinstance(read, (int, float)) and read > 0  # not None (for ever) nor socket's default sentinel
    connection.timeout = min(CONNECT, read) if timed and read is not None else CONNECT
    try:
        connect()
    finally:
        connection.timeout = read
    if connection.sock is not None and timed:
        connection.sock.settimeout(read)


class _HttpHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Any) -> Any:
        return self.do_open(_Http, req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: Any) -> Any:
        return self.do_open(_Https, req, context=getattr(self, "_context", None))


class TimedClient(python_http_client.Client):  # type: ignore[misc]
    """python_http_client (under the ``sendgrid`` library) with a connect timeout of its own;
    its ``timeout`` is the read timeout."""

    def _build_client(self, name: str | None = None) -> TimedClient:
        url_path = [*self._url_path, name] if name else self._url_path
        return TimedClient(host=self.host, version=self._version, request_headers=self.request_headers,
                           url_path=url_path, append_slash=self.append_slash, timeout=self.timeout)  # fmt: skip

    def _make_request(self, opener: Any, request: Any, timeout: float | None = None) -> Any:
        return super()._make_request(urllib.request.build_opener(_HttpHandler, _HttpsHandler), request, timeout)


def timed(client: Any, read: float = READ) -> TimedClient:
    """``client`` (a python_http_client.Client) again, with the connect and read timeouts."""
    return TimedClient(host=client.host, version=client._version, request_headers=client.request_headers,
                       url_path=client._url_path, append_slash=client.append_slash, timeout=read)  # fmt: skip
