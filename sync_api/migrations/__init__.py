"""Alembic migrations of the sync API (dated revisions in `versions/`)."""
