"""The notifications service's rules and limits, read once from its configuration."""

import datetime
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider

from services.core.config import setting
from services.notifications.advertising import DEFAULT_HOURS, DEFAULT_TIMEZONE, AdvertisingWindow
from services.notifications.ticket_notices import DEFAULT_LANGUAGE, TEMPLATES, business_language


def _now():
    return datetime.datetime.now(datetime.UTC)


@dataclass
class Settings:
    advertising: AdvertisingWindow = field(default_factory=AdvertisingWindow)
    country_code: str = "84"
    max_attempts: int = 5
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    lease_seconds: float = 120.0
    claim_size: int = 100
    concurrency: int = 20
    tick_seconds: float = 10.0
    twilio_auth_token: str | None = None
    ticket_sms_sender: str | None = None
    language: str = DEFAULT_LANGUAGE  # BUSINESS_LANGUAGE: of the notices to assignees
    ticket_templates: dict = field(default_factory=lambda: dict(TEMPLATES[DEFAULT_LANGUAGE]))
    clock: object = _now

    def now(self):
        return self.clock()

    def backoff(self, attempts):
        """Seconds to wait before attempt ``attempts + 1`` (exponential, capped)."""
        return min(self.retry_max_seconds, self.retry_base_seconds * 2 ** max(0, attempts - 1))

    @classmethod
    def from_config(cls, config):
        language = business_language(setting(config, "BUSINESS_LANGUAGE", DEFAULT_LANGUAGE))
        templates = dict(TEMPLATES[language])
        templates.update({k: v for k, v in (config.get("TICKET_TEMPLATES") or {}).items() if v})
        token = config.get("TWILIO_AUTH_TOKEN")
        return cls(
            advertising=AdvertisingWindow(
                config.get("ADVERTISING_HOURS") or DEFAULT_HOURS, config.get("ADVERTISING_TIMEZONE") or DEFAULT_TIMEZONE
            ),
            country_code=str(config.get("PHONE_COUNTRY_CODE") or "84"),
            max_attempts=int(config.get("SEND_MAX_ATTEMPTS", 5)),
            retry_base_seconds=float(config.get("RETRY_BASE_SECONDS", 5)),
            retry_max_seconds=float(config.get("RETRY_MAX_SECONDS", 3600)),
            lease_seconds=float(config.get("SEND_LEASE_SECONDS", 120)),
            claim_size=int(config.get("SEND_CLAIM_SIZE", 100)),
            concurrency=int(config.get("SEND_CONCURRENCY", 20)),
            twilio_auth_token=str(token) if token else None,
            ticket_sms_sender=config.get("TICKET_SMS_SENDER") or None,
            language=language,
            ticket_templates=templates,
        )


class NotificationSettings(DependencyProvider):
    def setup(self):
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
