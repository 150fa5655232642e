"""Label specs: a task type and its classes (name, display name, colour). Create one, or edit one; a class that
some job has labels of cannot be removed."""

import streamlit as st

from core.auth.access import Permission
from core.domain.errors import BadInput
from core.domain.plural import plural
from core.domain.vocabulary import TASKS
from core.jobs import specs
from dashboard.class_chips import class_chips_html
from dashboard.signed_in import read_only_note, signed_in_user
from dashboard.spec_editor import class_editor_ui, classes_from_text
from dashboard.store import engine
from dashboard.text import md

user = signed_in_user()
can_manage = user.can(Permission.MANAGE)

st.title("Label specs")
existing = specs.list_specs(engine=engine())

if can_manage:
    with st.expander("New label spec", icon=":material/add:", expanded=not existing):
        name = st.text_input("Name", key="new_spec_name", placeholder="e.g. street-objects")
        task = st.radio("Task", TASKS, horizontal=True, key="new_spec_task")
        classes = classes_from_text(
            st.text_area(
                "Classes, one per line",
                key="new_spec_classes",
                height=140,
                placeholder="car\nperson, Person\ntraffic_light, Traffic light, #E45756",
                help="name[, display name][, #RRGGBB]; classification needs at least two",
            )
        )
        if st.button("Create label spec", type="primary", key="create_spec"):
            try:
                created = specs.create_spec(engine=engine(), name=name, task=task, classes=classes, actor=user)
            except BadInput as problem:
                st.error(md(problem))
            else:
                st.success(f"Created label spec {md(repr(created.name))} with {plural(len(classes), 'class')}.")
                st.rerun()
else:
    read_only_note(user, Permission.MANAGE, what="creating or editing label specs")

if not existing:
    st.info("No label specs yet. Importing a job creates one; or create one above.", icon=":material/label:")
    st.stop()

for summary in existing:
    spec = summary.spec
    with st.container(border=True, key=f"spec_{spec.id}"):
        st.markdown(
            f"**{md(spec.name)}** · {spec.task} · {plural(len(summary.classes), 'class')} · used by "
            f"{summary.jobs} job(s)"
        )
        rows = [{"name": c.name, "display_name": c.display_name, "color": c.color} for c in summary.classes]
        if can_manage:
            with st.expander("Edit classes", icon=":material/edit:"):
                edited = class_editor_ui(key=f"spec_classes_{spec.id}", classes=rows)
                if st.button("Save changes", key=f"save_spec_{spec.id}", type="primary"):
                    try:
                        specs.update_spec(engine=engine(), spec_id=spec.id, classes=edited, actor=user)
                    except BadInput as problem:
                        st.error(md(problem))
                    else:
                        st.rerun()
        st.markdown(class_chips_html([(c.display_name, c.color) for c in summary.classes]), unsafe_allow_html=True)
