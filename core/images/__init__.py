"""Images: checking image files at import, EXIF orientation, thumbnails and detail images with their label
overlays, the viewer's image, and tiles drawn ahead of the reviewer."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "image_files": ["DAMAGED", "IMAGE_SUFFIXES", "check_images", "folder_images", "image_folders"],
        "orientation": ["displayed_size", "open_upright", "orientation"],
        "thumbnails": ["ImageUnavailable", "Overlay", "REMOVED_COLOR", "fetch_originals", "render_tile", "tile_path"],
        "tiles_ahead": ["render_tiles_ahead"],
        "viewer_image": ["ViewerImage", "viewer_image"],
    },
)
