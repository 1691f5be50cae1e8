"""The store on every backend: SQLite (embedded) and PostgreSQL (several daemons)."""

import pytest

BACKENDS = ["sqlite", "postgresql"]
# for a test in a folder whose ``backend`` is SQLite only, where what it checks is the store's
both_stores = pytest.mark.parametrize("backend", BACKENDS)
