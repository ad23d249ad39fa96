"""ASGI middlewares of the web app and its JSON error shape: the request body limit and the security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """Raised anywhere in request handling; turned into ``{"error", "detail"}`` JSON."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


def error_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


_UI_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; script-src 'self'; "
    "style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)
_DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"


# --------------------------------------------------------------------------------------------------
# Body size limit (pure ASGI so it sees the stream before any parser does)
# --------------------------------------------------------------------------------------------------


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Reject bodies over ``limit`` bytes: from ``Content-Length`` up front, and while streaming
    (chunked uploads, lying clients). Whatever the inner app answers after the limit was hit is
    replaced by a 413 JSON error."""

    def __init__(self, app: Callable[..., Awaitable[None]], limit: int) -> None:
        self.app, self.limit = app, limit

    def _too_large(self) -> JSONResponse:
        mib = self.limit / (1024 * 1024)
        return error_response(
            413,
            "payload_too_large",
            f"request body exceeds the server's limit of {self.limit} bytes ({mib:.1f} MiB)",
            headers={"Connection": "close"},
        )

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await error_response(400, "bad_request", "invalid Content-Length header")(scope, receive, send)
                    return
                if declared > self.limit:
                    await self._too_large()(scope, receive, send)
                    return
        received = 0
        exceeded = False
        inner_started = False

        async def limited_receive() -> dict:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: dict) -> None:
            nonlocal inner_started
            if exceeded and not inner_started:
                return  # swallow whatever the app made of the aborted body; we answer 413 below
            inner_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not inner_started:
            await self._too_large()(scope, receive, send)


class SecurityHeadersMiddleware:
    """``nosniff`` everywhere; a strict CSP on the UI pages and on the script-free ``/docs`` page."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        policy = _UI_CSP if path == "/" or path.startswith("/static/") else _DOCS_CSP if path == "/docs" else None

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if policy:
                    headers.append((b"content-security-policy", policy.encode()))
                    headers.append((b"x-frame-options", b"DENY"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
