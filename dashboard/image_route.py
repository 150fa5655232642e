"""The route that serves the images dashboard/media.py signs: GET <base>/labeldeck/images/<file>?v=<version>&s=<sig>.

Only files under the thumbnail folder, only with a signature this app made: 403 for a wrong or missing signature,
404 for a file that is gone (the disk cache may evict it; the page draws it again on its next run). A URL whose
version still matches the file is cached by the browser for good: a redrawn file gets a new URL."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.settings import get_settings
from dashboard.media import ROUTE, cookie_secret, signature, version_of

FOREVER = "private, max-age=31536000, immutable"


def image_routes(base_url_path: str) -> list[Route]:
    """The route, under Streamlit's server.baseUrlPath as every page is (st.App mounts user routes as given)."""
    base = base_url_path.strip("/")
    prefix = f"/{base}" if base else ""
    return [Route(f"{prefix}/{ROUTE}/{{relative:path}}", serve_image, methods=["GET", "HEAD"])]


def serve_image(request: Request) -> Response:
    # A plain function: Starlette runs it in its thread pool, so reading the disk never holds the event loop.
    relative = request.path_params["relative"]
    version = request.query_params.get("v", "")
    given = request.query_params.get("s", "")
    if not hmac.compare_digest(given.encode(), signature(relative, version, secret=cookie_secret()).encode()):
        return PlainTextResponse("This image link is not valid here: reload the page.", status_code=403)
    root = get_settings().thumbnail_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return PlainTextResponse("This image is no longer on disk: reload the page.", status_code=404)
    # Redrawn since the page was made: the right bytes still, but not for keeps under this URL.
    cache = FOREVER if version_of(path) == version else "no-cache"
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": cache})
