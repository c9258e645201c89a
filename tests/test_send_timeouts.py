"""Every sender gives up on a silent server: at most 10 s to connect, 30 s for each answer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager

import pytest

from notifications.senders.base import Message, SendError
from notifications.senders.sendgrid import SendGridSender
from notifications.senders.smtp import SmtpSender

from .fakes.sendgrid import API_KEY


@contextmanager
def silent_server() -> Generator[int, None, None]:
    """Accepts every connection, reads what comes, and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        for s in held:
            s.close()
        server.close()


def message() -> Message:
    return Message(key="d1", to="a@example.org", subject="Upphandlingar", text="t", html="<p>t</p>",
                   from_email="alerts@example.org", from_name="Radar")  # fmt: skip


def test_the_default_timeouts_are_10_s_to_connect_and_30_s_to_read() -> None:
    from notifications.senders import timeouts

    assert timeouts.CONNECT <= 10 and timeouts.READ <= 30
    assert SendGridSender(API_KEY, "http://127.0.0.1:9").client.client.timeout == timeouts.READ
    assert SmtpSender("smtp://127.0.0.1:9").timeout == timeouts.READ


@pytest.mark.parametrize("sender", ["sendgrid", "smtp"])
def test_a_silent_server_costs_one_read_timeout_not_a_run(sender: str) -> None:
    with silent_server() as port:
        if sender == "sendgrid":
            chosen: SendGridSender | SmtpSender = SendGridSender(API_KEY, f"http://127.0.0.1:{port}", timeout=2)
        else:
            chosen = SmtpSender(f"smtp://127.0.0.1:{port}", timeout=2)
        started = time.monotonic()
        with pytest.raises(SendError) as err:
            chosen.send(message())
        took = time.monotonic() - started
    assert err.value.retryable and 1.5 < took < 6, (took, err.value)


def test_a_connection_nobody_accepts_is_given_up_within_the_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A listener whose backlog is full drops new SYNs, as a firewalled host does: connect waits."""
    from notifications.senders import timeouts

    monkeypatch.setattr(timeouts, "CONNECT", 1.0)
    monkeypatch.setattr("notifications.senders.smtp.CONNECT", 1.0)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(4):  # fill the accept queue
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    time.sleep(0.2)
    try:
        for chosen in (
            SendGridSender(API_KEY, f"http://127.0.0.1:{port}", attempts=1),
            SmtpSender(f"smtp://127.0.0.1:{port}"),
        ):
            started = time.monotonic()
            with pytest.raises(SendError):
                chosen.send(message())
            assert time.monotonic() - started < 5  # the read timeout (30 s) would be far more
    finally:
        for s in fillers:
            s.close()
        server.close()
