"""The SendGrid sender against a local fake that checks each body against the v3 schema."""

from __future__ import annotations

import pytest

from notifications.senders.base import Message, SendError
from notifications.senders.sendgrid import SendGridSender

from .fakes.sendgrid import API_KEY, fake_sendgrid


def message(**kw: str) -> Message:
    values = {
        "key": "0b6f2c1e-digest", "to": "kontakt@example.org", "subject": "2 nya upphandlingar",
        "html": "<p>Hej</p>", "text": "Hej", "from_email": "alerts@example.org", "from_name": "Social Tender Radar",
    } | kw  # fmt: skip
    return Message(**values)  # type: ignore[arg-type]


def test_a_digest_is_accepted_and_the_body_follows_the_v3_schema() -> None:
    with fake_sendgrid() as fake:
        ref = SendGridSender(API_KEY, fake.url).send(message())
    assert fake.invalid == []
    assert len(ref) == 32  # the X-Message-Id the server gave
    (body,) = fake.requests
    assert body["personalizations"][0]["to"] == [{"email": "kontakt@example.org"}]
    assert body["from"] == {"email": "alerts@example.org", "name": "Social Tender Radar"}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["personalizations"][0]["custom_args"] == {"digest_id": "0b6f2c1e-digest"}  # no personal data
    assert body["categories"] == ["digest"]


def test_sandbox_mode_for_staging() -> None:
    with fake_sendgrid() as fake:
        SendGridSender(API_KEY, fake.url, sandbox=True).send(message())
    assert fake.requests[0]["mail_settings"] == {"sandbox_mode": {"enable": True}}
    assert fake.invalid == []


def test_a_schema_violation_is_refused_and_not_retryable() -> None:
    with fake_sendgrid() as fake, pytest.raises(SendError) as err:
        SendGridSender(API_KEY, fake.url).send(message(subject=""))
    assert fake.invalid  # the fake found the empty subject against the real schema
    assert err.value.retryable is False


@pytest.mark.parametrize(
    "mode,retryable,requests,waits",
    [
        ("server_error", True, 3, [0.5, 1.0]),  # retried with backoff, then left for the next run
        ("bad_request", False, 1, []),  # a wrong request: retrying it unchanged cannot help
    ],
)
def test_errors_say_whether_a_retry_can_help(mode: str, retryable: bool, requests: int, waits: list[float]) -> None:
    slept: list[float] = []
    with fake_sendgrid(mode) as fake, pytest.raises(SendError) as err:
        SendGridSender(API_KEY, fake.url, sleep=slept.append).send(message())
    assert err.value.retryable is retryable
    assert fake.invalid == [] and len(fake.requests) == requests
    assert slept == waits
    assert str(err.value).startswith(f"SendGrid answered {({'server_error': 500, 'bad_request': 400})[mode]}")


def test_a_rate_limit_waits_for_its_reset_when_it_is_near() -> None:
    slept: list[float] = []
    with fake_sendgrid("rate_limited") as fake, pytest.raises(SendError) as err:
        SendGridSender(API_KEY, fake.url, sleep=slept.append).send(message())
    assert err.value.retryable is True
    assert len(slept) == 2 and all(50 < s <= 60 for s in slept)  # X-RateLimit-Reset is 60 s away
    assert len(fake.requests) == 3


def test_a_digest_sendgrid_took_can_be_found_again() -> None:
    with fake_sendgrid("hang") as fake:
        sender = SendGridSender(API_KEY, fake.url, timeout=0.5, attempts=1)
        with pytest.raises(SendError):
            sender.send(message(key="d-1"))  # accepted, but the answer came too late
        assert sender.find("d-1") == fake.accepted["d-1"][0]
        assert sender.find("d-2") is None


def test_a_hanging_server_times_out_as_retryable() -> None:
    with fake_sendgrid("hang") as fake, pytest.raises(SendError) as err:
        SendGridSender(API_KEY, fake.url, timeout=0.5, attempts=1).send(message())
    assert err.value.retryable is True
