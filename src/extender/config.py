"""Settings read from the environment, so one build runs embedded (SQLite) or in production.

The embedded default keeps everything under ``./var/``: the SQLite database and a secret key
generated on first use. Production (``EXTENDER_ENV=production``) refuses to start without an
explicit secret key, because a generated one would silently change on every fresh machine.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ConfigurationError(RuntimeError):
    """The settings cannot be used; the message says which one and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXTENDER_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Field(default_factory=lambda: Path.cwd() / "var")
    database_url: str = ""
    secret_key: str = ""
    content_dir: Path = PROJECT_ROOT / "content"
    base_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = 10 * 1024 * 1024
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 15 * 60
    session_max_age_seconds: int = 12 * 3600
    # Only for `make bench`: exposes /bench/ceiling, one committed insert, as the load
    # benchmark's ceiling. Refused in production.
    bench_endpoints: bool = False

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'extender.db').as_posix()}"

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        if self.env == "production":
            raise ConfigurationError(
                "EXTENDER_SECRET_KEY must be set when EXTENDER_ENV=production "
                "(a generated key would change between machines and invalidate every session)"
            )
        key_file = self.var_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def mask_url(url: str) -> str:
    """Hide the password in a database URL so it can be printed in an error message."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL has no structure to mask; show only its scheme
        return url.split("://", 1)[0] + "://***"
