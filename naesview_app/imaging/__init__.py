"""Pure imaging core: the Volume type, canonical orientation, resampling, windowing."""

from naesview_app.imaging.volume import Volume

__all__ = ["Volume"]
