"""Outlets: one module per platform behind one small interface (see ``channels.base``)."""
