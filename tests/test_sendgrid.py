"""The SendGrid sender against a local fake that checks each body against the v3 schema."""

from __future__ import annotations

import pytest

from notifications.senders.base import LookupUnavailableError, Message, SendError
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


@pytest.mark.parametrize("mode", ["server_error", "accept_then_500", "lost"])
def test_an_answer_that_may_follow_acceptance_is_never_retried_blindly(mode: str) -> None:
    """SendGrid may have the message after a 5xx or a lost answer: one request, then the lookup decides."""
    slept: list[float] = []
    with fake_sendgrid(mode) as fake, pytest.raises(SendError) as err:
        SendGridSender(API_KEY, fake.url, sleep=slept.append, attempts=3).send(message())
    assert len(fake.requests) == 1 and slept == []
    assert err.value.maybe_sent is True and err.value.retryable is True and err.value.rate_limited is False
    assert sum(map(len, fake.accepted.values())) == (0 if mode == "server_error" else 1)


def test_a_429_on_send_was_not_accepted_so_it_is_retried_later_not_unsure() -> None:
    """SendGrid's 429: no more requests to that endpoint for the rest of the period (its "Rate Limits" page)."""
    slept: list[float] = []
    with fake_sendgrid("rate_limited") as fake, pytest.raises(SendError) as err:
        SendGridSender(API_KEY, fake.url, sleep=slept.append, attempts=3).send(message())
    assert len(fake.requests) == 1 and slept == [] and fake.accepted == {}
    assert err.value.maybe_sent is False and err.value.retryable is True and err.value.rate_limited is True


def test_a_refused_request_is_held_not_retried() -> None:
    with fake_sendgrid("bad_request") as fake, pytest.raises(SendError) as err:
        SendGridSender(API_KEY, fake.url, sleep=lambda s: None).send(message())
    assert err.value.retryable is False and err.value.maybe_sent is False and len(fake.requests) == 1
    assert str(err.value).startswith("SendGrid answered 400")


def test_a_request_that_never_left_is_tried_again_in_the_call() -> None:
    slept: list[float] = []
    with fake_sendgrid() as fake:
        url = fake.url
    with pytest.raises(SendError) as err:  # nobody listens there any more: the connection is refused
        SendGridSender(API_KEY, url, sleep=slept.append, attempts=3).send(message())
    assert slept == [1, 2] and err.value.maybe_sent is False and err.value.retryable is True


def test_the_lookup_without_the_activity_add_on_is_said_once_and_not_asked_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slept: list[float] = []
    with fake_sendgrid(activity="forbidden") as fake:
        for sender, key in [(SendGridSender(API_KEY, fake.url, sleep=slept.append), "d-1"),
                            (SendGridSender(API_KEY, fake.url, sleep=slept.append), "d-2")]:  # fmt: skip
            with pytest.raises(LookupUnavailableError) as err:
                sender.find(key)
            assert err.value.permanent is True and "403" in str(err.value) and "add-on" in str(err.value)
        assert fake.lookups == 1 and slept == []  # the second sender (a later run) did not ask again
    assert [r.message for r in caplog.records if "Email Activity" in r.message][:2] == [str(err.value)]


def test_lookups_keep_the_activity_apis_pace_of_6_a_minute() -> None:
    slept: list[float] = []
    with fake_sendgrid() as fake:
        sender = SendGridSender(API_KEY, fake.url, sleep=slept.append, clock=lambda: 100.0)
        assert sender.find("d-1") is None and sender.find("d-2") is None
    assert fake.lookups == 2 and slept == [10.0]  # one request per 10 s at most


def test_a_rate_limited_lookup_waits_for_a_near_reset_then_gives_up_for_this_run() -> None:
    slept: list[float] = []
    with fake_sendgrid(activity="rate_limited") as fake, pytest.raises(LookupUnavailableError) as err:
        SendGridSender(API_KEY, fake.url, sleep=slept.append, attempts=3).find("d-1")
    assert err.value.permanent is False and err.value.rate_limited is True
    assert fake.lookups == 3 and len(slept) == 2 and all(50 < s <= 60 for s in slept)  # the reset is 60 s away


def test_a_message_is_listed_only_after_the_activity_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers.clock import MovingClock

    moving = MovingClock(monkeypatch)
    with fake_sendgrid("accept_then_500", listing_delay=300) as fake:
        sender = SendGridSender(API_KEY, fake.url, activity_interval=0)
        with pytest.raises(SendError):
            sender.send(message(key="d-1"))
        assert sender.find("d-1") is None  # "not yet", though SendGrid has it
        moving.advance(minutes=5)
        assert sender.find("d-1") == fake.accepted["d-1"][0]


def test_a_digest_sendgrid_took_can_be_found_again() -> None:
    with fake_sendgrid("hang") as fake:
        sender = SendGridSender(API_KEY, fake.url, timeout=0.5, attempts=1, activity_interval=0)
        with pytest.raises(SendError):
            sender.send(message(key="d-1"))  # accepted, but the answer came too late
        assert sender.find("d-1") == fake.accepted["d-1"][0]
        assert sender.find("d-2") is None


def test_a_hanging_server_times_out_as_maybe_sent_and_is_not_asked_twice() -> None:
    with fake_sendgrid("hang") as fake, pytest.raises(SendError) as err:
        SendGridSender(API_KEY, fake.url, timeout=0.5, attempts=3).send(message())
    assert err.value.retryable is True and err.value.maybe_sent is True
    assert len(fake.requests) == 1  # with attempts=3, the old sender gave SendGrid three copies
