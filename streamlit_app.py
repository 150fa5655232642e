"""LabelDeck's entrypoint: the navigation over pages/, nothing else."""

import streamlit as st

st.set_page_config(page_title="LabelDeck", page_icon=":material/fact_check:", layout="wide")
st.navigation(
    [
        st.Page("pages/jobs.py", title="Labeling Jobs", icon=":material/work:", default=True),
        st.Page("pages/visualize.py", title="Visualize", icon=":material/insights:"),
        st.Page("pages/catalog.py", title="Catalog", icon=":material/folder_open:"),
    ]
).run()
