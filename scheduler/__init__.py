"""The daemon side of loa: configuration, store, sync, engine, HTTP surface and the CLI."""
