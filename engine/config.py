"""Settings, built once from ``CASEPATH_*`` variables: the only reader of ``os.environ`` in Casepath."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RunLimits:
    """How much one case may do: a run's work budget, the shortest cycle timer, daily caps.

    A run is one engine call (open, complete, signal, fire, retry). A run over its budget, a case over
    a daily cap and a cycle timer shorter than ``min_cycle`` at run time park the case as an incident
    (see docs/operations.md); the lint refuses literal cycle timers shorter than ``min_cycle``.
    """

    max_steps: int = 200  # engine steps (gateways, scripts, events) in one run; shipped pathways need <= 14
    max_seconds: float = 5.0  # wall-clock time of one run's engine steps
    min_cycle: str = "PT1H"  # ISO 8601 duration: the shortest repeating timer a pathway may use
    max_tasks_per_day: int = 200  # human tasks one case may create in 24 hours
    max_notifications_per_day: int = 500  # notifications one case may send in 24 hours


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'instance' / 'casepath.sqlite3'}"
    redis_url: str = ""
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    workflows_dir: Path = PROJECT_ROOT / "workflows"
    instance_dir: Path = PROJECT_ROOT / "instance"
    demo_mode: bool = False
    idle_timeout_minutes: int = 30
    token_days: int = 90  # a personal API token expires this many days after it was issued
    sweep_interval_seconds: int = 30
    run_sweeper: bool = False  # the web process sweeps deadlines itself (no Redis); `casepath serve` sets it
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "casepath@localhost"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    trusted_proxies: int = 0  # reverse proxies in front of the app whose X-Forwarded-* headers count
    base_url: str = "http://127.0.0.1:5000"
    default_locale: str = "bg"
    secure_cookies: bool = False
    max_upload_bytes: int = 5 * 1024 * 1024
    attachment_max_mb: int = 20  # CASEPATH_UPLOAD_MAX_MB: the largest document attached to a case
    # CASEPATH_RETENTION_YEARS: a case closed longer ago than this is pseudonymised (its statistics kept)
    retention_years: int = 5
    run_limits: RunLimits = field(default_factory=RunLimits)
    # An S3-compatible store for attached documents (engine/casework/file_store.py); with no bucket the
    # documents stay under the instance folder. The endpoint is empty for AWS itself.
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_prefix: str = "attachments/"
    s3_access_key_id: str = field(default="", repr=False)
    s3_secret_access_key: str = field(default="", repr=False)

    @property
    def attachments_dir(self) -> Path:
        """Where attached documents are kept, by their SHA-256 (engine/casework/file_store.py)."""
        return self.instance_dir / "attachments"

    @property
    def attachment_max_bytes(self) -> int:
        return self.attachment_max_mb * 1024 * 1024

    @property
    def forms_dir(self) -> Path:
        return self.workflows_dir / "forms"

    @property
    def pathways_dir(self) -> Path:
        return self.workflows_dir / "pathways"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment; anything unset keeps its default."""
    env = os.environ if environ is None else environ
    defaults = Settings()
    instance_dir = Path(env.get("CASEPATH_INSTANCE_DIR", str(defaults.instance_dir)))
    secret = env.get("CASEPATH_SECRET_KEY") or _instance_secret(instance_dir)
    return Settings(
        database_url=env.get("CASEPATH_DATABASE_URL", defaults.database_url),
        redis_url=env.get("CASEPATH_REDIS_URL", ""),
        secret_key=secret,
        workflows_dir=Path(env.get("CASEPATH_WORKFLOWS_DIR", str(defaults.workflows_dir))),
        instance_dir=instance_dir,
        demo_mode=_flag(env.get("CASEPATH_DEMO", "0")),
        idle_timeout_minutes=int(env.get("CASEPATH_IDLE_TIMEOUT_MINUTES", "30")),
        token_days=int(env.get("CASEPATH_TOKEN_DAYS", "90")),
        sweep_interval_seconds=int(env.get("CASEPATH_SWEEP_INTERVAL_SECONDS", "30")),
        run_sweeper=_flag(env.get("CASEPATH_RUN_SWEEPER", "0")),
        smtp_host=env.get("CASEPATH_SMTP_HOST", ""),
        smtp_port=int(env.get("CASEPATH_SMTP_PORT", "25")),
        smtp_sender=env.get("CASEPATH_SMTP_SENDER", defaults.smtp_sender),
        smtp_user=env.get("CASEPATH_SMTP_USER", ""),
        smtp_password=env.get("CASEPATH_SMTP_PASSWORD", ""),
        smtp_starttls=_flag(env.get("CASEPATH_SMTP_STARTTLS", "0")),
        trusted_proxies=int(env.get("CASEPATH_TRUSTED_PROXIES", "0")),
        base_url=env.get("CASEPATH_BASE_URL", defaults.base_url),
        default_locale=env.get("CASEPATH_DEFAULT_LOCALE", "bg"),
        secure_cookies=_flag(env.get("CASEPATH_SECURE_COOKIES", "0")),
        attachment_max_mb=_positive(env, "CASEPATH_UPLOAD_MAX_MB", defaults.attachment_max_mb),
        retention_years=_positive(env, "CASEPATH_RETENTION_YEARS", defaults.retention_years),
        run_limits=_run_limits(env),
        s3_bucket=env.get("CASEPATH_S3_BUCKET", "").strip(),
        s3_endpoint_url=env.get("CASEPATH_S3_ENDPOINT_URL", "").strip(),
        s3_region=env.get("CASEPATH_S3_REGION", defaults.s3_region).strip() or defaults.s3_region,
        s3_prefix=env.get("CASEPATH_S3_PREFIX", defaults.s3_prefix).strip(),
        s3_access_key_id=env.get("CASEPATH_S3_ACCESS_KEY_ID", ""),
        s3_secret_access_key=env.get("CASEPATH_S3_SECRET_ACCESS_KEY", ""),
    )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, str(default)).strip()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def _run_limits(env: Mapping[str, str]) -> RunLimits:
    default = RunLimits()
    min_cycle = env.get("CASEPATH_MIN_CYCLE", default.min_cycle).strip().upper()
    if not re.fullmatch(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?", min_cycle):
        raise ValueError(f"CASEPATH_MIN_CYCLE must be an ISO 8601 duration such as PT1H, not {min_cycle!r}")
    return RunLimits(
        max_steps=int(env.get("CASEPATH_RUN_MAX_STEPS", str(default.max_steps))),
        max_seconds=float(env.get("CASEPATH_RUN_MAX_SECONDS", str(default.max_seconds))),
        min_cycle=min_cycle,
        max_tasks_per_day=int(env.get("CASEPATH_MAX_TASKS_PER_CASE_DAY", str(default.max_tasks_per_day))),
        max_notifications_per_day=int(
            env.get("CASEPATH_MAX_NOTIFICATIONS_PER_CASE_DAY", str(default.max_notifications_per_day))
        ),
    )


def _instance_secret(instance_dir: Path) -> str:
    """A secret key kept in ``instance/`` so sessions survive restarts of a local install."""
    path = instance_dir / "secret_key"
    try:
        return path.read_text().strip() or _write_secret(path)
    except FileNotFoundError:
        return _write_secret(path)


def _write_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def environ_value(name: str, default: str = "") -> str:
    """Other readers of the environment (the CLI, test fixtures) come through here."""
    return os.environ.get(name, default)
