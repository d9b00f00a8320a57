"""Jupyter server configuration for the Galata UI tests (never use it for real work)."""

import getpass

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

c.ServerApp.ip = "127.0.0.1"  # noqa: F821
c.ServerApp.port_retries = 0  # noqa: F821
c.FileContentsManager.delete_to_trash = False  # noqa: F821
c.LanguageServerManager.autodetect = False  # noqa: F821
# Jupyter Notebook 7 (playwright.notebook.config.ts): window.jupyterapp for the tests.
c.JupyterNotebookApp.expose_app_in_browser = True  # noqa: F821
if getpass.getuser() == "root":
    c.ServerApp.allow_root = True  # noqa: F821
