from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Office


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    made = Office(tmp_path / "office")
    yield made
    made.close()
