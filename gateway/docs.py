"""Swagger UI for ``/docs``, served from the swagger-ui-bundle package (works offline)."""

import mimetypes

from swagger_ui_bundle import swagger_ui_path
from werkzeug.wrappers import Response

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>CRM API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js" charset="utf-8"></script>
  <script src="/docs/static/swagger-ui-standalone-preset.js" charset="utf-8"></script>
  <script src="/docs/static/docs-init.js" charset="utf-8"></script>
</body>
</html>
"""

INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""

ALLOWED = {
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
}


def page():
    return Response(PAGE, mimetype="text/html", content_type="text/html; charset=utf-8")


def static(name):
    if name == "docs-init.js":
        return Response(INIT, content_type="application/javascript; charset=utf-8")
    if name not in ALLOWED:
        return Response("not found", status=404)
    content = (swagger_ui_path / name).read_bytes()
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    content_type = mimetype + ("; charset=utf-8" if mimetype.startswith(("text/", "application/javascript")) else "")
    return Response(content, content_type=content_type, headers={"Cache-Control": "public, max-age=86400"})
