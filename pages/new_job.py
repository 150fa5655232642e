"""New manual label job: a name, a label spec, images (a folder under the data root, a bucket prefix or a zip) and
pre-labels (from an auto label job, an uploaded COCO or CSV, or none). The job starts IN_PROGRESS."""

import streamlit as st

from core.auth.access import Permission
from core.domain.errors import BadInput, NotFound
from core.domain.plural import plural
from core.domain.vocabulary import AUTO_TAGS
from core.jobs import manual as manual_jobs
from core.jobs import specs
from core.jobs.lookup import get_job
from core.jobs.summaries import list_jobs
from dashboard.image_source import forget_extracted_zip, image_root, image_source_ui
from dashboard.navigation import ANNOTATE_PAGE, SPECS_PAGE
from dashboard.signed_in import require_permission, signed_in_user
from dashboard.store import engine
from dashboard.text import md
from dashboard.uploads import saved_upload

AUTO_IMAGES = "The auto label job's images"


creator = signed_in_user()

st.title("New manual label job")
require_permission(creator, Permission.MANAGE, what="Creating label jobs")
all_specs = specs.list_specs(engine=engine())
auto_jobs = [j for j in list_jobs(engine=engine(), tags=list(AUTO_TAGS)) if j.gives_pre_labels]
wanted_auto = st.query_params.get("from_auto")
if not all_specs:
    st.info("Create a label spec first.", icon=":material/label:")
    st.page_link(SPECS_PAGE, label="Label specs", icon=":material/label:")
    st.stop()

name = st.text_input("Job name", key="new_job_name", placeholder="e.g. street-scenes-refined")
pre_choice = st.radio(
    "Pre-labels",
    ["From an auto label job", "Upload COCO", "Upload CSV", "None"],
    index=0 if wanted_auto else 3,
    horizontal=True,
    key="new_job_pre",
)
auto = None
if pre_choice == "From an auto label job":
    ids = [j.id for j in auto_jobs]
    default = ids.index(int(wanted_auto)) if wanted_auto and wanted_auto.isdigit() and int(wanted_auto) in ids else 0
    auto = st.selectbox(
        "Auto label job",
        auto_jobs,
        index=default if auto_jobs else None,
        key="new_job_auto",
        format_func=lambda j: f"#{j.id} {j.name} ({j.tag}, {plural(j.images, 'image')})",
    )
    if not auto_jobs:
        st.warning("There is no READY auto label job.")
spec_names = {s.spec.id: f"{s.spec.name} ({s.spec.task}, {plural(len(s.classes), 'class')})" for s in all_specs}
spec_ids = list(spec_names)
spec_default = None
if auto is not None:
    auto_spec = get_job(engine(), auto.id).spec_id
    spec_default = spec_ids.index(auto_spec) if auto_spec in spec_ids else None
spec_id = st.selectbox(
    "Label spec",
    spec_ids,
    format_func=spec_names.get,
    key="new_job_spec",
    index=spec_default if spec_default is not None else 0,
)

images = image_source_ui("new_job", other_choices=(AUTO_IMAGES,) if auto is not None else ())
pre_file = None
if pre_choice in ("Upload COCO", "Upload CSV"):
    pre_file = st.file_uploader(
        pre_choice.removeprefix("Upload "), type=["json"] if "COCO" in pre_choice else ["csv"], key="new_job_pre_file"
    )
iou = st.number_input("IoU threshold for matching expert and pre boxes", 0.05, 1.0, 0.5, 0.05, key="new_job_iou")

if st.button("Create job", type="primary", key="create_job"):
    pre_labels = None
    if auto is not None:
        pre_labels = ("auto_job", auto.id)
    elif pre_file is not None:
        pre_labels = ("coco" if pre_choice == "Upload COCO" else "csv", saved_upload(pre_file))
    try:
        with st.status("Creating the job…", expanded=True) as status:
            job = manual_jobs.create_manual_job(
                engine=engine(),
                name=name,
                spec_id=spec_id,
                images_dir=None if images.how == AUTO_IMAGES else image_root(images),
                pre_labels=pre_labels,
                iou_threshold=iou,
                actor=creator,
                progress=lambda stage, fraction: status.update(label=f"{stage} ({fraction:.0%})"),
            )
            status.update(label=f"Created {md(job.name)}: {plural(job.image_count, 'image')}", state="complete")
    except (BadInput, NotFound) as problem:
        forget_extracted_zip(discard=True)  # no job was made of it
        st.error(md(problem))
    else:
        forget_extracted_zip(discard=False)  # the job's image root now
        st.switch_page(ANNOTATE_PAGE, query_params={"job": str(job.id)})
