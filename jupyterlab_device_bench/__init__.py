"""jupyterlab-device-bench: see, pick and benchmark PyTorch devices from JupyterLab."""

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - only outside an installed or built tree
    import warnings

    warnings.warn(
        "Importing 'jupyterlab_device_bench' outside a proper installation.", stacklevel=2
    )
    __version__ = "dev"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt extension."""
    return [{"src": "labextension", "dest": "jupyterlab-device-bench"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The server side: one pre-save hook (see `savehook`); no handlers."""
    return [{"module": "jupyterlab_device_bench"}]


def _load_jupyter_server_extension(serverapp) -> None:  # noqa: ANN001 - jupyter_server's app
    """Keep run records when another window saves the same notebook."""
    from .savehook import pre_save_hook

    serverapp.contents_manager.register_pre_save_hook(pre_save_hook)
