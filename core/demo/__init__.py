"""The demo store: jobs over synthetic images drawn by Pillow from fixed seeds (scenes), no downloads."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {"seed": ["seed_demo"]})
