"""A message as an outlet will send it, for the staff page's preview: the same functions the
outlets call when they send (``telegram.html_parts``, ``split.plain_parts``), so what a person
approves on the page is what the group receives, part by part."""

from __future__ import annotations

from dataclasses import dataclass

from campaigns import markup
from channels import telegram, zalo_bot, zalo_oa
from channels.split import plain_parts

PLAIN_LIMITS = {"zalo_bot": zalo_bot.TEXT_LIMIT, "zalo_oa": zalo_oa.TEXT_LIMIT}


@dataclass(frozen=True)
class Rendered:
    """``markup`` is "html" (Telegram's subset) or "plain"; ``parts`` are the texts sent one
    after another; ``caption`` goes with the image when the platform sends one with it."""

    markup: str
    parts: tuple[str, ...]
    image: str = ""
    caption: str = ""


def rendered(channel_type: str, text: str, image: str = "") -> Rendered:
    if channel_type == "telegram":
        caption, parts = telegram.html_parts(text, bool(image))
        texts = tuple(p for p in parts if p != telegram.IMAGE)
        return Rendered("html", texts, image, caption)
    if channel_type in PLAIN_LIMITS:
        return Rendered("plain", tuple(plain_parts(text, PLAIN_LIMITS[channel_type])), image)
    # the file and console outlets write the text as a reader sees it, whole
    return Rendered("plain", (markup.parse(text).plain(),), image)
