"""Alerts to the admins about what an operator must act on (issue 15): incidents are raised
anywhere in loa with ``raise_incident`` and ended with ``resolve_incident``; the daemon's
sender tells the admin targets of config.toml's ``[alerts]``, grouped and rate-limited."""

from scheduler.alerts.incidents import (
    APPROVAL_OVERDUE,
    APPROVAL_VOIDED,
    BOT_FAILING,
    CAMPAIGN_REFUSED,
    CHANNEL_AUTH,
    DELIVERY_FAILED,
    DELIVERY_MISSED,
    EVENT_UNSCHEDULED,
    KINDS,
    TOKEN_EXPIRING,
    TOKEN_REFUSED,
    Sighting,
    on_raised,
    open_incidents,
    raise_incident,
    raise_many,
    resolve_incident,
)

__all__ = [
    "APPROVAL_OVERDUE", "APPROVAL_VOIDED", "BOT_FAILING", "CAMPAIGN_REFUSED", "CHANNEL_AUTH", "DELIVERY_FAILED", "DELIVERY_MISSED",
    "EVENT_UNSCHEDULED", "KINDS", "TOKEN_EXPIRING", "TOKEN_REFUSED", "Sighting", "on_raised",
    "open_incidents", "raise_incident", "raise_many", "resolve_incident",
]  # fmt: skip
