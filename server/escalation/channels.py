"""The outbound channels of escalation: one interface, two implementations (SMTP e-mail and a webhook).

A channel's ``send`` either returns (delivered) or raises :class:`DeliveryError` with a readable reason;
it never retries itself: the delivery loop (``server/escalation/scanner.py``) retries with backoff and
logs every try. Each send is bounded by ``LEVEE_DELIVERY_TIMEOUT_S``, so a dead SMTP server or webhook
receiver cannot hold the scanner.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import httpx

from server.settings import Settings
from shared.escalation import Channel


class DeliveryError(Exception):
    """A try that did not deliver; the text is what the log shows."""


@dataclass(frozen=True, slots=True)
class Message:
    """What one notification says, in the installation's language, plus the machine-readable event."""

    subject: str
    body: str
    payload: dict[str, Any] = field(default_factory=dict)


class OutboundChannel(Protocol):
    """A way out of the server. ``target`` is what follows ``email:`` or ``webhook:`` in the recipient."""

    channel: Channel

    def configured(self) -> bool: ...

    async def send(self, target: str, message: Message) -> None: ...


class SmtpChannel:
    """E-mail through ``LEVEE_SMTP_*`` (standard library smtplib, run off the event loop)."""

    channel = Channel.EMAIL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def configured(self) -> bool:
        return bool(self.settings.smtp_host)

    def _send_now(self, target: str, message: Message) -> None:
        s = self.settings
        mail = EmailMessage()
        mail["From"] = s.smtp_from
        mail["To"] = target
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain="levee")
        mail.set_content(message.body)
        timeout = s.delivery_timeout_s
        smtp: smtplib.SMTP
        if s.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=timeout)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=timeout)
        with smtp:
            if s.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_user, password)
            smtp.send_message(mail)

    async def send(self, target: str, message: Message) -> None:
        try:
            await asyncio.wait_for(
                asyncio.to_thread(self._send_now, target, message), self.settings.delivery_timeout_s + 1
            )
        except (OSError, smtplib.SMTPException, TimeoutError) as exc:
            raise DeliveryError(f"smtp: {type(exc).__name__}: {exc}"[:900]) from exc


class WebhookChannel:
    """A JSON POST to ``LEVEE_WEBHOOK_URL``; any 2xx answer is delivered, anything else a failed try."""

    channel = Channel.WEBHOOK

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport

    def configured(self) -> bool:
        return bool(self.settings.webhook_url)

    async def send(self, target: str, message: Message) -> None:
        body = json.dumps(
            {"subject": message.subject, "text": message.body, **message.payload},
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        headers = {"content-type": "application/json; charset=utf-8", "user-agent": "levee-escalation"}
        if self.settings.webhook_secret is not None:
            key = self.settings.webhook_secret.get_secret_value().encode()
            headers["x-levee-signature"] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        try:
            async with httpx.AsyncClient(
                timeout=self.settings.delivery_timeout_s, transport=self.transport
            ) as client:
                answer = await client.post(target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}"[:900]) from exc
        if not 200 <= answer.status_code < 300:
            raise DeliveryError(f"webhook: HTTP {answer.status_code}: {answer.text[:200]}")


def channels_for(settings: Settings) -> dict[Channel, OutboundChannel]:
    return {Channel.EMAIL: SmtpChannel(settings), Channel.WEBHOOK: WebhookChannel(settings)}
