"""The domain of loa: campaign files, time expressions, expansion, templates.

Nothing in this package talks to a database or a network; it reads files and computes.
"""
