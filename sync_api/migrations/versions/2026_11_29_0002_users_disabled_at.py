"""Accounts can be disabled: users.disabled_at (None while the account may sign in).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("disabled_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite that copies `users` and drops the original, and with foreign keys
    # on the drop would cascade to tokens and memberships. SQLite ≥ 3.35 drops a plain column in
    # place, as PostgreSQL does.
    op.drop_column("users", "disabled_at")
