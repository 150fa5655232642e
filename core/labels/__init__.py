"""Label files read into one shape: COCO (dataset and results), classification CSV, and through `formats`
YOLO, Pascal VOC, CVAT and Label Studio; pre-labels for new manual jobs; box checks; the import report."""

from core import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "boxes": ["box_problem", "clipped_box"],
        "coco": ["CocoDataset", "load_dataset", "load_image_list", "load_pre_labels"],
        "csv_labels": ["load_classification_csv"],
        "formats": ["FORMAT_NAMES"],
        "import_report": ["DraftReport", "draft_report"],
        "label_boxes": ["label_summary", "pre_label_boxes", "predicted_classes", "prediction_boxes", "tile_boxes"],
        "label_files": ["read_json"],
        "pre_labels": [
            "PRE_LABEL_SCHEMA",
            "PreLabelSource",
            "auto_job_for_pre_labels",
            "checked_labels",
            "numbered_classes",
            "numbered_images",
            "read_label_csv",
            "read_pre_labels",
            "reference_dataset",
        ],
    },
)
