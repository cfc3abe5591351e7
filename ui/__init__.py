"""Step 4: the thin edges, the ``study`` CLI and the Streamlit app, over the library API."""
