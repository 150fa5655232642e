"""URLs of images in Streamlit's own media store, for the components that take an image by URL (the tile grid, the
box editor of streamlit-image-annotation).

The one place LabelDeck imports from Streamlit's internals: Streamlit has no public function that gives a file's
media URL, which is what st.image does under the hood; streamlit-image-annotation's own `detection()` calls the same
function. A URL from the media store is served with the session's other media, cached by the browser, and unguessable,
which a data: URL (resent on every rerun) or static file serving (every file under one public folder) are not.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from streamlit.elements.lib.image_utils import image_to_url
from streamlit.elements.lib.layout_utils import LayoutConfig


def file_url(path: Path, *, key: str) -> str:
    """A JPEG file's bytes as they are, relative ("media/..."), so it resolves under the app's base URL path."""
    return image_to_url(str(path), LayoutConfig(width="stretch"), False, "RGB", "JPEG", key).lstrip("/")


def image_url(image: Image.Image, *, key: str) -> str:
    """A Pillow image encoded as JPEG at its own size."""
    return image_to_url(image, LayoutConfig(width=image.width, height=image.height), True, "RGB", "JPEG", key)
