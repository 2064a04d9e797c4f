"""Where alerts are sent: channels are plug-ins (entry point group ``liuyu.alert_channels``).

A channel entry point is a factory ``(AlertsConfig) -> channel | None`` (None when the channel is
not configured, e.g. no webhook URL); a channel has a ``name`` and ``send(alert: dict)`` that
raises on failure. Liuyu ships ``log`` and ``webhook``.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Protocol

from liuyu.config import AlertsConfig
from liuyu.errors import ConfigError, LiuyuError

GROUP = "liuyu.alert_channels"
log = logging.getLogger("liuyu.alerts")


class ChannelError(LiuyuError):
    """A channel could not deliver an alert (it stays unsent and is retried at the next check)."""


class AlertChannel(Protocol):
    name: str

    def send(self, alert: dict[str, Any]) -> None: ...


class LogChannel:
    """Writes each new alert to the ``liuyu.alerts`` logger (and so to the server's log)."""

    name = "log"

    def send(self, alert: dict[str, Any]) -> None:
        log.warning(
            "告警 alert #%s [%s] %s | %s",
            alert["id"],
            alert["severity"],
            alert["message_zh"],
            alert["message_en"],
        )


class WebhookChannel:
    """POSTs each new alert as JSON; retries with exponential backoff, then raises ChannelError."""

    name = "webhook"

    def __init__(self, url: str, timeout: float = 10.0, retries: int = 3, backoff: float = 1.0) -> None:
        self.url, self.timeout, self.retries, self.backoff = url, timeout, retries, backoff

    def _post(self, body: bytes) -> None:
        req = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            if resp.status >= 300:
                raise ChannelError(f"webhook answered {resp.status}")

    def send(self, alert: dict[str, Any]) -> None:
        body = json.dumps({"alert": alert}, ensure_ascii=False, default=str).encode("utf-8")
        error: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                self._post(body)
                return
            except (OSError, urllib.error.URLError, ChannelError) as exc:
                error = exc
                log.warning("webhook %s, attempt %d of %d: %s", self.url, attempt + 1, self.retries + 1, exc)
        raise ChannelError(
            f"webhook {self.url} failed after {self.retries + 1} attempts: {error}",
            hint="check [alerts] webhook_url in liuyu.toml; the alert will be sent at the next check",
        )


def log_channel(config: AlertsConfig) -> AlertChannel:
    return LogChannel()


def webhook_channel(config: AlertsConfig) -> AlertChannel | None:
    if not config.webhook_url:
        return None
    return WebhookChannel(config.webhook_url, config.timeout, config.retries, config.backoff)


_BUILTIN: dict[str, Callable[[AlertsConfig], AlertChannel | None]] = {
    "log": log_channel,
    "webhook": webhook_channel,
}


def channels(config: AlertsConfig) -> list[AlertChannel]:
    """The configured channels, in order; unconfigured ones (a webhook without URL) are skipped."""
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    out = []
    for name in config.channels:
        if name in found:
            factory = found[name].load()
        elif name in _BUILTIN:
            factory = _BUILTIN[name]
        else:
            raise ConfigError(
                f"[alerts] channels: no channel named {name!r}",
                hint=f"known: {', '.join(sorted(set(found) | set(_BUILTIN)))}",
            )
        channel = factory(config)
        if channel is not None:
            out.append(channel)
    return out
