"""Secrets never reach a screen: every message, log line and `--verbose` output is masked.

A value is a secret when its setting is named like one (``password``, ``token``, ...), when
it is the password of a URL, or when it came from ``env_var()`` in a setting that is not one
of the plainly public ones (host, port, user, ...). :func:`mask` replaces each one seen so far
with ``****``, and patterns catch passwords inside URLs and ``key=value`` strings even when
they were never registered (a connection string typed on the command line).
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "****"
SECRET_KEYS = {"password", "pass", "passwd", "pwd", "token", "access_token", "secret",
               "client_secret", "private_key", "private_key_passphrase", "api_key",
               "credentials", "credentials_info", "auth_token", "refresh_token"}
PUBLIC_KEYS = {"type", "host", "hostname", "server_hostname", "port", "user", "username",
               "database", "dbname", "schema", "catalog", "warehouse", "role", "account",
               "project", "dataset", "region", "data", "master", "dialect", "module",
               "http_path", "sslmode", "application_name", "connect_timeout",
               "statement_timeout", "threads", "app_name", "jit"}
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]+)(?=@)")
_KEY_VALUE = re.compile(r"(?P<head>\b(?:%s)\s*[=:]\s*['\"]?)(?P<secret>[^'\"\s;&,]+)"
                        % "|".join(sorted(SECRET_KEYS, key=len, reverse=True)), re.I)
_known: set[str] = set()


def register(value: Any) -> None:
    """Remember a secret so that every later message masks it."""
    if isinstance(value, str) and len(value) >= 3:
        _known.add(value)
        for match in _URL_PASSWORD.finditer(value):
            _known.add(match.group("secret"))


def register_settings(settings: dict[str, Any], from_env: set[str] = frozenset()) -> None:
    """Register the secrets among connection settings (nested dicts included)."""
    for key, value in settings.items():
        if isinstance(value, dict):
            register_settings(value, {k for k in value} if key in from_env else set())
        elif key.lower() in SECRET_KEYS or (key in from_env and key.lower() not in PUBLIC_KEYS):
            register(str(value))
        elif isinstance(value, str):
            for match in _URL_PASSWORD.finditer(value):
                register(match.group("secret"))


def mask(text: str) -> str:
    """``text`` with every known secret, URL password and ``password=...`` replaced."""
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    return _KEY_VALUE.sub(lambda m: m.group("head") + MASK, text)


def masked_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings fit to print: secret keys replaced, every other value masked."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            out[key] = masked_settings(value)
        elif key.lower() in SECRET_KEYS:
            out[key] = MASK
        else:
            out[key] = mask(value) if isinstance(value, str) else value
    return out


class MaskingFilter(logging.Filter):
    """A logging filter that masks secrets in every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        return True
