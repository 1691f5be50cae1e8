"""A campaign's history: who saved it from the editor, when, and what changed.

Every save writes one audit entry (``scheduler.http.auth.record``) with command
``campaign_edit``, the campaign id as its arguments, result ``ok`` and the unified diff as its
detail. That shape is a contract: the approval step reads the last such entry of a campaign
to know who last edited it, and the campaign page shows them all from here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, select

from scheduler import audit

EDIT = "campaign_edit"
REMOVE = "campaign_remove"
SHOWN = 20


def entries(db: Engine, campaign_id: str, limit: int = SHOWN) -> list[Any]:
    """The campaign's saves and its removal, newest first."""
    query = (
        select(audit.A)
        .where(and_(audit.A.c.command.in_([EDIT, REMOVE]), audit.A.c.arguments == campaign_id,
                    audit.A.c.result == audit.OK))
        .order_by(audit.A.c.at.desc(), audit.A.c.id.desc())
        .limit(limit)
    )  # fmt: skip
    with db.connect() as conn:
        return list(conn.execute(query).all())


def last_editor(db: Engine, campaign_id: str) -> str | None:
    """Who saved the campaign last from the editor (None: nobody has)."""
    return audit.last_user(db, EDIT, campaign_id)
