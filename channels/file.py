"""The file outlet: one JSON object per line, appended; the receipt of record for tests and audits.

Each line is written with a single ``write`` on a file opened for appending, so a crash leaves
at worst one torn last line, which ``find_sent`` ignores (that message is then sent again).
People read the file, so a text is written as a reader sees it: markup gone, as Zalo gets it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from campaigns import markup
from campaigns.i18n import t
from channels.base import OutboundMessage, Receipt, utcnow
from channels.errors import PermanentError


class FileChannel:
    confirms_delivery = True
    in_flight: int | None = None

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path

    async def send(self, message: OutboundMessage) -> Receipt:
        sent_at = utcnow()
        record = {
            "key": message.key,
            "campaign": message.campaign,
            "message": message.item,
            "channel": message.channel,
            "target": message.target,
            "text": markup.parse(message.text).plain(),
            "due": message.due.isoformat(),
            "sent_at": sent_at.isoformat(),
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as exc:
            reason = t("file_write_failed", path=self.path, reason=exc.strerror)
            raise PermanentError(reason) from None
        return Receipt(sent_at=sent_at)

    async def find_sent(self, keys: Iterable[str]) -> dict[str, Receipt]:
        import datetime as dt

        wanted = set(keys)
        found: dict[str, Receipt] = {}
        if not wanted or not self.path.exists():
            return found
        with self.path.open("rb") as handle:
            for raw in handle:
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue  # a line torn by a crash: that message was not delivered whole
                key = record.get("key") if isinstance(record, dict) else None
                if key in wanted:
                    found[key] = Receipt(sent_at=dt.datetime.fromisoformat(record["sent_at"]))
        return found

    def is_group(self, address: str) -> bool:
        return False

    async def close(self) -> None:
        return None
