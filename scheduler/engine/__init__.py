"""The engine: the daemon, and the claim, lease, send, record and rescue of each delivery."""
