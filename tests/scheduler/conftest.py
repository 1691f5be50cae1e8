from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scheduler.db import migrate, open_engine


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{tmp_path / 'loa.db'}")
    migrate(engine)
    yield engine
    engine.dispose()
