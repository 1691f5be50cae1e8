"""The daemon's HTTP surface: feeds, health, metrics and pages."""
