"""LabelDeck's web server (`streamlit run dashboard/server.py`): Streamlit serving the app (dashboard/app.py) through
its public ASGI `st.App`, plus the route of the images the pages link to (dashboard/image_route.py)."""

import sys
from pathlib import Path

# As in app.py: the project on the import path, wherever the server was started from.
PROJECT = str(Path(__file__).resolve().parent.parent)
if PROJECT not in sys.path:
    sys.path.insert(0, PROJECT)

import streamlit as st  # noqa: E402

from dashboard.image_route import image_routes  # noqa: E402

app = st.App(Path(__file__).with_name("app.py"), routes=image_routes(str(st.get_option("server.baseUrlPath"))))
