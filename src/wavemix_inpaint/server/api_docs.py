"""The API reference page served at ``/docs``: plain HTML rendered from the OpenAPI schema.

FastAPI's Swagger UI and ReDoc load their JavaScript from a CDN, so they are blank on an offline
machine (the case this server is made for). This page needs no script and no network: every route
with its form fields (type, default, allowed values, description) and response codes, plus a
``curl`` example. The machine-readable schema stays at ``/openapi.json``.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "code,pre{font-family:ui-monospace,monospace;background:#f4f4f4;padding:.1rem .3rem;border-radius:3px}"
    "pre{padding:.6rem;overflow-x:auto}table{border-collapse:collapse;width:100%;margin:.5rem 0}"
    "td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "h2{margin-top:2rem;border-bottom:1px solid #ddd}.method{font-weight:bold;text-transform:uppercase}"
)


def _text(markdown: str) -> str:
    """Escaped text with Markdown `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(markdown))


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/components/schemas/...``)."""
    ref = schema.get("$ref")
    if not ref:
        return schema
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _field_type(field: dict[str, Any]) -> str:
    if "enum" in field:
        return " | ".join(f"<code>{escape(str(value))}</code>" for value in field["enum"])
    if field.get("contentMediaType") or field.get("format") == "binary":
        return "file"
    kind = field.get("type", "")
    if "minimum" in field and "maximum" in field:
        kind += f" ({field['minimum']:g}-{field['maximum']:g})"
    return escape(kind)


def _fields_table(body: dict[str, Any], spec: dict[str, Any]) -> str:
    schema = _resolve(body, spec)
    required = set(schema.get("required", []))
    rows = []
    for name, field in schema.get("properties", {}).items():
        default = "required" if name in required else f"<code>{escape(json.dumps(field.get('default')))}</code>"
        rows.append(
            f"<tr><td><code>{escape(name)}</code></td><td>{_field_type(field)}</td><td>{default}</td>"
            f"<td>{_text(field.get('description', ''))}</td></tr>"
        )
    return "<table><tr><th>field</th><th>type</th><th>default</th><th>meaning</th></tr>" + "".join(rows) + "</table>"


def _operation(path: str, method: str, operation: dict[str, Any], spec: dict[str, Any]) -> str:
    parts = [f"<h2><span class=method>{escape(method)}</span> <code>{escape(path)}</code></h2>"]
    if operation.get("summary"):
        parts.append(f"<p><b>{_text(operation['summary'])}</b></p>")
    if operation.get("description"):
        parts.append(f"<p>{_text(operation['description'])}</p>")
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        parts.append(f"<p>Request body: <code>{escape(media)}</code></p>")
        parts.append(_fields_table(content.get("schema", {}), spec))
    responses = operation.get("responses", {})
    if responses:
        items = "".join(
            f"<tr><td><code>{escape(code)}</code></td><td>{_text(response.get('description', ''))}</td></tr>"
            for code, response in responses.items()
        )
        parts.append(f"<table><tr><th>status</th><th>response</th></tr>{items}</table>")
    return "\n".join(parts)


def render_api_reference(spec: dict[str, Any]) -> str:
    """A self-contained HTML page describing every operation of the OpenAPI ``spec``."""
    info = spec.get("info", {})
    title = f"{info.get('title', 'API')} {info.get('version', '')}".strip()
    sections = [
        _operation(path, method, operation, spec)
        for path, operations in spec.get("paths", {}).items()
        for method, operation in operations.items()
    ]
    example = "curl -F image=@photo.jpg -F mask=@mask.png -o result.jpg http://127.0.0.1:8000/api/v1/inpaint"
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)} API</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)} API</h1>"
        f"<p>{_text(info.get('description', ''))}</p>"
        f"<p>Example: <code>{escape(example)}</code>. Machine-readable schema: "
        f'<a href="/openapi.json"><code>/openapi.json</code></a>. Web UI: <a href="/">/</a>.</p>'
        + "\n".join(sections)
        + "</body></html>"
    )


__all__ = ["render_api_reference"]
