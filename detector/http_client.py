"""One place that turns connection settings into a ``requests.Session``.

Secrets are read here from files or environment variables and live only inside the session;
``redacted`` gives a loggable description.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import requests

from detector.errors import ConfigError
from detector.live_settings import HttpClientSettings
from detector.redact import strip_userinfo


def _read_secret(path: str | None, env_name: str | None, field: str, environ: Mapping[str, str]) -> str | None:
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read secret file {path!r}: {exc.strerror}", location=field) from None
    if env_name:
        if env_name not in environ:
            raise ConfigError(f"environment variable {env_name!r} is not set", location=field)
        return environ[env_name].strip()
    return None


def build_session(settings: HttpClientSettings, *, section: str, environ: Mapping[str, str] | None = None) -> requests.Session:
    """A session with auth, headers and TLS options applied. ``section`` names the config key for errors."""
    environ = os.environ if environ is None else environ
    session = requests.Session()
    session.headers.update(settings.headers)
    token = _read_secret(settings.bearer_token_file, settings.bearer_token_env, f"{section}.bearer_token_file", environ)
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    if settings.basic_auth is not None:
        password = _read_secret(
            settings.basic_auth.password_file, settings.basic_auth.password_env, f"{section}.basic_auth.password_file", environ
        )
        session.auth = (settings.basic_auth.username, password or "")
    if settings.insecure_skip_verify:
        session.verify = False
    elif settings.ca_file:
        if not Path(settings.ca_file).is_file():
            raise ConfigError(f"CA file {settings.ca_file!r} not found", location=f"{section}.ca_file")
        session.verify = settings.ca_file
    return session


def redacted(settings: HttpClientSettings, url: str) -> str:
    """'url (bearer token, basic auth as USER)' without any secret value (nor ``user:password@`` in the URL)."""
    url = strip_userinfo(url)
    parts = []
    if settings.bearer_token_file or settings.bearer_token_env:
        parts.append("bearer token")
    if settings.basic_auth is not None:
        parts.append(f"basic auth as {settings.basic_auth.username}")
    return f"{url} ({', '.join(parts)})" if parts else url
