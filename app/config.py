"""Settings, read only from the environment (prefix TRIAGE_) or a .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from classifier import INTENTS
from classifier.language import DEFAULT_CANDIDATES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./triage.db"
    model_dir: Path = Path("models")
    training_data_dir: Path = Path("training_data")
    templates_dir: Path = Path("templates/replies")

    # routing
    auto_intents: list[str] = Field(default_factory=lambda: [i for i in INTENTS if i != "other"])
    threshold_overrides: dict[str, float] = Field(default_factory=dict)
    min_margin: float | None = None
    target_precision: float = Field(default=0.97, gt=0, le=1)
    fallback_language: str | None = None
    languages: list[str] = Field(default_factory=lambda: list(DEFAULT_CANDIDATES))
    sop_language: str | None = None
    seller_name: str | None = None  # unset: each template signs in its own language

    # deadlines
    sla_hours: float = Field(default=24.0, gt=0)
    channel_sla_hours: dict[str, float] = Field(default_factory=dict)

    # limits
    max_body_bytes: int = 256 * 1024
    max_classify_chars: int = 5000
    review_page_max: int = 200
    rate_limit_per_minute: float = Field(default=600.0, ge=0)  # requests per API key and worker process; 0: no limit
    rate_limit_burst: float | None = Field(default=None, gt=0)  # unset: ten seconds' worth
    key_cache_seconds: float = Field(default=5.0, ge=0)  # how long a checked API key is trusted; a revocation waits this long

    # models
    model_poll_seconds: float = Field(default=5.0, ge=0)  # how often workers look for a newly activated model; 0: never

    # console
    console_session_hours: float = Field(default=12.0, gt=0)
    claim_minutes: float = Field(default=5.0, gt=0)
    console_page_size: int = Field(default=25, ge=5, le=200)

    # inbound mail gateways: secrets only from the environment; an unset secret disables its endpoint
    postmark_basic_auth: SecretStr | None = None  # "user:password" as written in Postmark's webhook URL
    sendgrid_basic_auth: SecretStr | None = None  # "user:password" as written in SendGrid's Parse URL
    mailgun_signing_key: SecretStr | None = None  # Mailgun's HTTP webhook signing key
    max_inbound_bytes: int = 30 * 1024 * 1024  # whole gateway posts, attachments included
    max_attachments: int = Field(default=20, ge=0)  # listed per message; more are counted as dropped
    max_attachment_bytes: int = Field(default=25 * 1024 * 1024, gt=0)  # a larger attachment refuses the message
    max_header_bytes: int = Field(default=256 * 1024, gt=0)  # all of a mail's header fields together

    # outbound mail
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None  # the seller's address replies come from, e.g. "Shop <care@shop.example>"
    smtp_timeout_seconds: float = 30.0
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_backoff_seconds: float = Field(default=30.0, gt=0)
    worker_poll_seconds: float = Field(default=2.0, gt=0)

    # buyers' feedback: "did this solve your problem?" links in reply footers, when both are set
    feedback_secret: SecretStr | None = None  # signs the links
    public_url: str | None = None  # where buyers reach this service, e.g. https://triage.shop.example

    # seller metrics and early warnings
    template_flag_min_votes: int = Field(default=5, ge=1)  # votes before a template can be flagged
    alert_window_days: float = Field(default=7.0, gt=0)  # an intent's count over this window...
    alert_baseline_windows: int = Field(default=4, ge=1)  # ...against its average over this many windows before
    alert_factor: float = Field(default=2.0, gt=1)  # raise when the count is at least this times the baseline
    alert_min_count: int = Field(default=5, ge=1)  # and at least this many messages, so one message is no alarm
    alert_webhook_url: str | None = None  # alerts are also POSTed here as JSON, once each
    alert_check_minutes: float = Field(default=5.0, gt=0)  # how often `triage worker` looks for new alerts

    # observability: /metrics is open unless a token is set (or the proxy keeps it private)
    metrics_token: SecretStr | None = None

    # logs: JSON lines on stderr, personal data masked
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # start-up
    train_on_start: bool = True
    auto_migrate: bool = True

    @field_validator("auto_intents")
    @classmethod
    def _known_intents(cls, value: list[str]) -> list[str]:
        unknown = set(value) - set(INTENTS)
        if unknown:
            raise ValueError(f"unknown intents {sorted(unknown)}; choose from {list(INTENTS)}")
        return value

    def sla_hours_for(self, channel: str) -> float:
        return self.channel_sla_hours.get(channel, self.sla_hours)


@lru_cache
def get_settings() -> Settings:
    return Settings()
