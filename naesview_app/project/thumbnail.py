"""Project thumbnails: any PNG or JPEG the owner picks, made to fit what the server accepts.

The sync API takes PNG or JPEG of at most 256 KiB and 1024 × 1024 pixels. A picture within those
limits is kept byte for byte; a larger one is scaled down and stored as PNG (or JPEG when PNG is
still too large). Anything that is not a PNG or JPEG image is refused with one line.
"""

from __future__ import annotations

import base64
import io
import re

from naesview_app.errors import ConfigError
from naesview_wire.project import THUMBNAIL_MAX_BYTES

MAX_SIDE = 1024
MAX_INPUT_BYTES = 32 * 1024 * 1024
_DATA_URL = re.compile(r"^data:image/(png|jpeg);base64,([A-Za-z0-9+/=\s]*)$")


def thumbnail_from_bytes(data: bytes, *, source: str = "thumbnail") -> bytes:
    """PNG or JPEG bytes the server accepts, from the bytes of an image file."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_INPUT_BYTES:
        raise ConfigError(f"{source}: {len(data):,} bytes is too large; pick a smaller image")
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        raise ConfigError(f"{source}: not a PNG or JPEG image; pick a .png or .jpg file")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ConfigError(
            f"{source}: the image cannot be read ({exc}); pick another .png or .jpg file"
        ) from None
    if len(data) <= THUMBNAIL_MAX_BYTES and max(image.size) <= MAX_SIDE:
        return data
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    for side in (MAX_SIDE, 512, 256):
        image.thumbnail((side, side))
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        if out.tell() <= THUMBNAIL_MAX_BYTES:
            return out.getvalue()
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=85)
        if out.tell() <= THUMBNAIL_MAX_BYTES:
            return out.getvalue()
    raise ConfigError(f"{source}: cannot make the image small enough; pick a simpler one")


def thumbnail_from_data_url(url: str, *, source: str = "thumbnail") -> bytes:
    """The same, from a `data:image/png;base64,…` URL (a captured viewport or a picked file)."""
    match = _DATA_URL.match(url.strip()[: MAX_INPUT_BYTES * 2])
    if match is None:
        raise ConfigError(f"{source}: not a PNG or JPEG image; pick a .png or .jpg file")
    try:
        data = base64.b64decode(match.group(2), validate=False)
    except ValueError:
        raise ConfigError(f"{source}: the image data is damaged; pick the file again") from None
    return thumbnail_from_bytes(data, source=source)


def data_url(image: bytes | None) -> str | None:
    """A data URL for the UI (None for no thumbnail)."""
    if not image:
        return None
    kind = "png" if image.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(image).decode()}"
