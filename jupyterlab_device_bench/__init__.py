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
