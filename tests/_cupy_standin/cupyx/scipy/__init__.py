"""``cupyx.scipy`` on the stand-in."""

from cupyx.scipy import special

__all__ = ["special"]
