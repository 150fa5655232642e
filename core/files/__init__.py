"""Files named by users and label files: relative paths kept under an image root, uploaded zips extracted
safely, files written at a path the user named, and the Import page's inputs."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "import_sources": ["bucket_prefix", "data_path", "extracted_label_zip", "label_uploads", "shown_names"],
        "output_files": ["output_path", "replacing"],
        "paths": ["regular_file", "resolve_under", "unsafe_reason"],
        "uploads": ["UploadLimits", "discard_upload", "extract_image_zip", "uploads_dir"],
    },
)
