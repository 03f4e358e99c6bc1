from __future__ import annotations

from pathlib import Path

import pytest

from extender.config import ConfigurationError, Settings, mask_url


def test_it_refuses_production_without_a_secret_key(tmp_path: Path) -> None:
    settings = Settings(env="production", var_dir=tmp_path, secret_key="")
    with pytest.raises(ConfigurationError, match="EXTENDER_SECRET_KEY"):
        settings.resolved_secret_key()


def test_it_generates_the_embedded_secret_once_and_keeps_it(tmp_path: Path) -> None:
    first = Settings(env="development", var_dir=tmp_path).resolved_secret_key()
    second = Settings(env="development", var_dir=tmp_path).resolved_secret_key()
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_it_defaults_to_a_sqlite_file_under_var(tmp_path: Path) -> None:
    url = Settings(var_dir=tmp_path, database_url="").resolved_database_url()
    assert url == f"sqlite:///{tmp_path.as_posix()}/extender.db"


def test_it_masks_the_password_in_database_urls() -> None:
    masked = mask_url("postgresql+psycopg://app:s3cret@db.example:5432/extender")
    assert "s3cret" not in masked and "app:***@db.example" in masked
