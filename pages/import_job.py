"""Import finished job (admins): a manual label job whose expert finished labelling elsewhere, from its images (a
folder, a bucket prefix or a zip) and its expert labels and pre-labels in any supported format. Check reads and
validates everything and reports it; Import writes it and opens the new job's Visualize page."""

import streamlit as st

from core.auth.access import Permission
from dashboard.import_check import check_ui
from dashboard.import_form import import_form_ui
from dashboard.import_save import import_ui
from dashboard.signed_in import read_only_note, signed_in_user

user = signed_in_user()

st.title("Import finished job")
if not user.can(Permission.MANAGE):
    read_only_note(user, Permission.MANAGE, what="importing a job")
    st.stop()
st.caption(
    "A manual label job labelled elsewhere, brought in with its images, expert labels and pre-labels. "
    "`python -m core import` does the same from the server's shell."
)
inputs = import_form_ui()
st.divider()
checked = check_ui(inputs, user)
import_ui(checked, user)
