"""Events that start a trigger's sequence: taken in by ``intake`` (from the CLI, HTTP or a
chat), stored once by id, listed by ``loa events``."""
