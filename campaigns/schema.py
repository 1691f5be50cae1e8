"""The shape of a campaign file, as pydantic models: keys, types, what is required.

Only structure lives here. Meaning (time expressions, references, channels, templates) is
checked by ``campaigns.loader`` once the structure holds, so each error is reported once.
Time values are ``Any`` because TOML gives dates, date-times, strings, tables or lists.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ActivityFile(_Strict):
    id: str
    title: str
    start: Any
    end: Any = None
    location: str = ""
    lead: str | list[str] = ""
    partners: list[str] = []
    description: str = ""
    url: str = ""
    tags: list[str] = []
    if_day_off: str | None = None
    by_year: dict[str, dict[str, Any]] = {}


class MessageFile(_Strict):
    id: str
    at: Any
    text: str
    channels: list[str] = []
    activity: str | None = None
    image: str = ""
    if_day_off: str | None = None
    by_year: dict[str, dict[str, Any]] = {}
    approval: bool | None = None  # None: the trigger's, the campaign's, then the channel's


class DeadlineFile(_Strict):
    id: str
    title: str
    due: Any
    remind: list[int | str] = []
    remind_at: str | None = None
    text: str = ""
    channels: list[str] = []
    lead: str | list[str] = ""
    partners: list[str] = []
    units: list[str] = []  # who owes it, when not its lead and partners
    description: str = ""
    if_day_off: str | None = None
    by_year: dict[str, dict[str, Any]] = {}


class TriggerMessageFile(_Strict):
    id: str
    at: Any
    text: str
    channels: list[str] = []
    image: str = ""
    approval: bool | None = None


class TriggerFile(_Strict):
    """``[[trigger]]``: an event type, its data fields, and ``[[trigger.message]]`` timed from it."""

    id: str
    event: str
    fields: list[str] = []
    title: str = ""
    description: str = ""
    message: list[TriggerMessageFile] = []
    approval: bool | None = None


class CampaignFile(_Strict):
    """Top-level keys; the three arrays of tables are checked item by item."""

    id: str
    title: str
    extends: str | None = None  # a library campaign this file adapts (see campaigns.adapt)
    remove: list[str] = []  # with extends: library items the office does not want
    description: str = ""
    timezone: str | None = None
    tags: list[str] = []
    years: str | int | list[int] | None = None
    send_time: str = "08:00"
    grace: str = "1h"
    approval: bool | None = None  # its messages wait for an approver (None: the channel says)
    vars: dict[str, str] = {}
    vars_by_year: dict[str, dict[str, str]] = {}
    activity: list[Any] = []
    message: list[Any] = []
    deadline: list[Any] = []
    trigger: list[Any] = []


ITEM_MODELS: dict[str, type[_Strict]] = {
    "activity": ActivityFile,
    "message": MessageFile,
    "deadline": DeadlineFile,
    "trigger": TriggerFile,
}
