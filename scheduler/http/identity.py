"""Who is asking, for the staff pages: THE ONE SEAM between the pages and sign-in.

Every staff page and action asks ``current_user(request)``, and every form renders
``csrf_field()``; nothing else in ``scheduler.http.pages`` knows how people sign in.

LEAD, AT MERGE: replace the body of ``current_user`` with the sign-in helper's dependency (the
session's user, or a redirect to the sign-in page / a 401), and ``csrf_field`` with its CSRF
token input. Until then every request is a fixed admin and forms carry no token, which is why
the staff routes must not be served without that gate in front of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from starlette.requests import Request

ROLES = ("viewer", "editor", "approver", "admin")


@dataclass(frozen=True)
class User:
    name: str
    role: str  # one of ROLES

    def may(self, role: str) -> bool:
        """Whether this user has ``role`` or a stronger one (nobody signed in has none)."""
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)


# who reads the public page: it never asks ``current_user``, so it stays open to everyone
ANONYMOUS = User("", "")


def current_user(request: Request) -> User:
    """The signed-in user. PLACEHOLDER: a fixed admin until sign-in is merged in."""
    return User("admin", "admin")


def csrf_field(request: Request | None = None) -> Markup:
    """The hidden CSRF input every form carries. PLACEHOLDER: empty until sign-in is merged."""
    return Markup("")
