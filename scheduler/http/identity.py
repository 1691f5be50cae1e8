"""Who is asking, for the staff pages: the one seam between the pages and sign-in
(``scheduler.http.auth``). The sign-in gate lets no one without a session reach a staff page
or action; the pages ask here what that person may do."""

from __future__ import annotations

from starlette.requests import Request

from scheduler.http import auth
from scheduler.users import Account

# who reads the public page: it never asks ``current_user``, so it stays open to everyone
ANONYMOUS = Account("", "")

csrf_field = auth.csrf_field


def current_user(request: Request) -> Account:
    """The signed-in person, or ANONYMOUS (who may do nothing) on a public path."""
    return auth.current_user(request) or ANONYMOUS
