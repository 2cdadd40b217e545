"""The base of every wire Struct: frozen, keyword-only, and strict about unknown fields.

Unknown fields are refused rather than dropped so that a typo in a config or a newer client
talking to an older server fails loudly instead of silently losing data.
"""

from __future__ import annotations

from typing import Annotated

import msgspec


class WireStruct(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base class of all Structs in `naesview_wire`.

    msgspec inherits these options, but type checkers do not see inherited dataclass options,
    so every subclass repeats them in its class line.
    """


# Shared constrained types, so the same limits hold on both sides of the wire.
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
"""A short human-readable name (title, label, display name)."""

Username = Annotated[
    str, msgspec.Meta(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
]
"""A sign-in name: letters, digits and `_ . @ -`, starting with a letter or digit."""

Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
"""A password as typed (never stored or logged; the server keeps an argon2id hash)."""

Id = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
"""A server-assigned row id (positive; fits the database's 32-bit integer columns)."""

Version = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
"""A config version or revision number: 1, 2, …"""

Count = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
"""A non-negative count or index."""
