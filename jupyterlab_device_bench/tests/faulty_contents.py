"""A contents manager for the fault suite: saves that fail, by file name.

``fault-readonly-*`` files refuse every save once they exist (403, as a read-only file does for
a user who is not root); ``fault-raise-*`` files make the contents manager raise (500). Every
other file is saved as usual. Only the jest fault suite's server uses it.
"""

from __future__ import annotations

import os

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web


class FaultyContentsManager(AsyncLargeFileManager):
    async def save(self, model, path=""):
        name = path.rstrip("/").rsplit("/", 1)[-1]
        exists = os.path.exists(self._get_os_path(path.strip("/")))
        if exists and name.startswith("fault-readonly-"):
            raise web.HTTPError(403, f"Permission denied: {name} is read-only")
        if exists and name.startswith("fault-raise-"):
            raise RuntimeError("the storage backend failed")
        return await super().save(model, path)
