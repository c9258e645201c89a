"""The messages the pipeline sends, composed here: the confirmation of a sign-up and a digest's
envelope, with the links in them and how long those links work.

The pipeline decides when to send; what a message says and where its links point lives here.
"""

from __future__ import annotations

import uuid
from html import escape as html_escape

from matching.subscriptions import Subscriber
from notifications.digest import DigestLinks, RenderedDigest, one_line
from notifications.senders.base import Message
from notifications.tokens import feedback_token, make_token, profile_token
from notifications.wording import words
from tenders.config import Settings

UNSUBSCRIBE_VALID = 180 * 24 * 3600.0  # seconds: a link in an old digest still works for half a year
CONFIRM_VALID = 7 * 24 * 3600.0  # seconds a confirmation link works


def digest_links(settings: Settings, subscriber: str) -> DigestLinks:
    secret = settings.secret_key()
    return DigestLinks(settings.base_url, feedback_token(secret, subscriber), profile_token(secret, subscriber))


def unsubscribe_url(settings: Settings, subscriber: str) -> str:
    token = make_token(settings.secret_key(), "unsubscribe", subscriber, valid_for=UNSUBSCRIBE_VALID)
    return f"{settings.base_url}/unsubscribe?token={token}"


def confirm_url(settings: Settings, subscriber: str, purpose: str = "confirm") -> str:
    token = make_token(settings.secret_key(), purpose, subscriber, valid_for=CONFIRM_VALID)
    return f"{settings.base_url}/confirm?token={token}"


def confirmation_message(settings: Settings, subscriber: Subscriber, proposal: str | None = None) -> Message:
    """The double opt-in email: one link, nothing else is sent before it is used.

    With ``proposal`` the address already has a subscription: the link applies the sign-up kept
    aside under that id, and until it is used nothing changes.
    """
    t = words(subscriber.language)
    values = {"org": one_line(subscriber.organisation), "email": subscriber.email}
    if proposal is None:
        subject = t.gettext("Confirm your subscription to public tenders")
        body = t.gettext("Open the link to start receiving tenders that suit %(org)s:") % values
        ignore = t.gettext("If you did not ask for this, ignore this email.")
        link = confirm_url(settings, subscriber.key)
    else:
        subject = t.gettext("Confirm the change to your subscription")
        body = t.gettext("Someone, perhaps you, signed up %(email)s again, now for %(org)s. Open the link to change "
                         "the subscription:") % values  # fmt: skip
        ignore = t.gettext("If you did not ask for this, ignore this email: nothing changes.")
        link = confirm_url(settings, proposal, "confirm-change")
    text = f"{body}\n\n{link}\n\n{ignore}"
    return Message(
        key=f"confirm-{uuid.uuid4()}",
        to=subscriber.email,
        subject=subject,
        html="<p>" + html_escape(text).replace("\n\n", "</p><p>") + "</p>",
        text=text,
        from_email=settings.from_email,
        from_name=settings.from_name,
        categories=("confirm",),
    )


def digest_message(settings: Settings, key: str, to: str, rendered: RenderedDigest, unsubscribe: str) -> Message:
    """A rendered digest as the senders take it, with RFC 8058 one-click unsubscribe headers."""
    return Message(
        key=key,
        to=to,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        from_email=settings.from_email,
        from_name=settings.from_name,
        # RFC 8058 one-click unsubscribe: mail clients POST to the URL, no page in between.
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
