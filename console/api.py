"""The server's REST API as the console uses it: one client per signed-in office user.

Every call carries the user's bearer token; the server enforces the role, and a refusal comes back as
an :class:`ApiError` with a stable ``code`` (for the message catalogue) and the server's words. The
transport is injectable, so tests run the console's calls against the app in-process.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from datetime import tzinfo
from typing import Any

import httpx

from shared.local_time import DEFAULT_TIMEZONE, zone
from shared.relay import CLIENT_HEADER, RELAY_HEADER

#: any decoded JSON value (an object, a list, ...), as a response body gives it
Json = Any
#: one JSON object: a row or a record as the server sent it
JsonObject = dict[str, Any]
_FILENAME = re.compile(r'filename="?([^";]+)"?')
STATUS_CODES = {
    400: "invalid",
    401: "signed_out",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_big",
    422: "invalid",
    429: "throttled",
    503: "busy",
}


class ApiError(Exception):
    """A call that did not go through; ``code`` keys ``error.console.*`` in the catalogues."""

    def __init__(self, code: str, message: str, status: int = 0, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.body: dict[str, Any] = body or {}  # the problem details (e.g. ``held`` of a refused transfer)


def _error(response: httpx.Response) -> ApiError:
    body: Any = None
    try:
        body = response.json()
        detail = str(body.get("detail") or body.get("title") or "")
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            detail += ": " + "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
    except ValueError:
        detail = response.text[:200]
    code = STATUS_CODES.get(response.status_code, "server_error")
    return ApiError(
        code, detail or response.reason_phrase, response.status_code, body if isinstance(body, dict) else None
    )


class ConsoleApi:
    """The signed-in user's client (one per open page)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: the installation's time zone, as the server said at sign-in
        self.timezone: tzinfo = zone(DEFAULT_TIMEZONE)
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
            timeout=timeout,
        )

    @classmethod
    async def sign_in(
        cls,
        base_url: str,
        username: str,
        password: str,
        device_name: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        relay: tuple[str, str] | None = None,
    ) -> tuple[ConsoleApi, dict[str, Any]]:
        """Sign in; returns the client and the user. Engineers are refused (they use the field app).

        ``relay`` is the relay key and the browser's address: the server counts failed sign-ins against
        that address instead of the console's own (:mod:`shared.relay`).
        """
        base_url = base_url.strip().rstrip("/")
        headers = {RELAY_HEADER: relay[0], CLIENT_HEADER: relay[1]} if relay and all(relay) else {}
        async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=20) as client:
            try:
                r = await client.post(
                    "/api/auth/login",
                    json={"username": username, "password": password, "device_name": device_name},
                    headers=headers,
                )
            except (httpx.TransportError, httpx.InvalidURL, ValueError) as exc:
                raise ApiError("offline", f"cannot reach {base_url}: {exc}") from exc
        if r.status_code == 401:
            raise ApiError("wrong_password", "wrong username or password", 401)
        if r.status_code != 200:
            raise _error(r)
        body = r.json()
        api = cls(base_url, body["token"], transport=transport)
        with contextlib.suppress(ValueError, TypeError):  # an older server does not say: the default
            api.timezone = zone(body.get("timezone") or DEFAULT_TIMEZONE)
        if body["user"]["role"] == "engineer":
            await api.sign_out()
            raise ApiError("engineer", "the console is for office staff; engineers use the field app")
        return api, dict(body["user"])

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            r = await self.client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ApiError("timeout", "the server did not answer in time") from exc
        except httpx.TransportError as exc:
            raise ApiError("offline", f"cannot reach the server: {exc}") from exc
        if r.status_code >= 400:
            raise _error(r)
        return r

    async def get(self, path: str, **params: Any) -> Json:
        clean = {k: v for k, v in params.items() if v is not None and v != ""}
        return (await self.request("GET", path, params=clean)).json()

    async def post(self, path: str, body: Json | None = None) -> Json:
        return (await self.request("POST", path, json=body if body is not None else {})).json()

    async def patch(self, path: str, body: Json) -> Json:
        return (await self.request("PATCH", path, json=body)).json()

    async def put(self, path: str, body: Json) -> Json:
        return (await self.request("PUT", path, json=body)).json()

    async def upload(self, path: str, data: bytes, content_type: str, **params: Any) -> Json:
        """PUT a file as the request body (a delivery document's scan)."""
        r = await self.request(
            "PUT", path, content=data, headers={"Content-Type": content_type}, params=params
        )
        return r.json()

    async def download(self, path: str, **params: Any) -> tuple[bytes, str]:
        """A file and the name the server gave it."""
        clean = {k: v for k, v in params.items() if v is not None and v != ""}
        r = await self.request("GET", path, params=clean)
        match = _FILENAME.search(r.headers.get("content-disposition", ""))
        return r.content, (match.group(1) if match else path.rsplit("/", 1)[-1])

    async def all_pages(self, path: str, **params: Any) -> list[Json]:
        """Every item of a paged list (500 at a time)."""
        items: list[Json] = []
        while True:
            page = await self.get(path, **params, limit=500, offset=len(items))
            items += page["items"]
            if len(items) >= page["total"] or not page["items"]:
                return items

    async def sign_out(self) -> None:
        """Revoke this sign-in on the server (best effort) and close the connection."""
        with contextlib.suppress(httpx.HTTPError):
            await self.client.post("/api/auth/logout")
        await self.client.aclose()

    # --- what the screens call -----------------------------------------------------------------

    async def assign(self, job_id: uuid.UUID | str, engineer_id: uuid.UUID | str, reason: str = "") -> Json:
        body = {"engineer_id": str(engineer_id), "reason": reason}
        return await self.post(f"/api/jobs/{job_id}/assign", body)

    async def office_status(self, job_id: uuid.UUID | str, action: str, reason: str = "") -> Json:
        """``hold`` or ``cancel`` with a reason, or ``resume``."""
        return await self.post(
            f"/api/jobs/{job_id}/{action}", {"reason": reason} if action != "resume" else {}
        )

    async def review(self, job_id: uuid.UUID | str, verdict: str, text: str) -> Json:
        """QA: ``approve`` with a note, or ``return`` with a reason."""
        key = "note" if verdict == "approve" else "reason"
        return await self.post(f"/api/jobs/{job_id}/{verdict}", {key: text})

    async def resolve_conflict(
        self, conflict_id: uuid.UUID | str, *, note: str = "", value: Any = None, override: bool = False
    ) -> Json:
        if override:
            return await self.post(f"/api/conflicts/{conflict_id}/override", {"value": value, "note": note})
        return await self.post(f"/api/conflicts/{conflict_id}/accept", {"note": note})
