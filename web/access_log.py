"""The development server's access log (``casepath serve``): paths without their query strings.

Werkzeug logs each request line as it arrived, ``GET /cases?q=Галина Ф. HTTP/1.1``: the search text
is personal data. Production (gunicorn) has the same rule in ``web/gunicorn_conf.py``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler

from engine.private_logs import without_query


class PrivateRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "") or "").path or "-"
        method = getattr(self, "command", None) or "-"
        self.log("info", '"%s %s %s" %s %s', method, path, self.request_version, code, size)

    def log(self, type: str, message: str, *args: Any) -> None:
        # Errors quote the raw request line ("Bad request syntax ('GET /cases?q=…')"): cut it too.
        text = message % args if args else message
        super().log(type, "%s", without_query(text))
