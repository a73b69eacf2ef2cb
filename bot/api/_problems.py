"""Every refusal as an RFC 9457 problem document, so a CMS developer reads one shape."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

#: RFC 9457's media type; clients may tell a problem from a resource by it alone.
PROBLEM_TYPE = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem: `title` names the kind, `detail` says what to do about this one."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None


PROBLEM_SCHEMA = Problem.model_json_schema()


def documented(description: str) -> dict[str, Any]:
    """Describe a refusal for the OpenAPI document: a problem, under its own media type."""
    return {"description": description, "content": {PROBLEM_TYPE: {"schema": PROBLEM_SCHEMA}}}


class ApiProblem(Exception):
    """A refusal the API answers as a problem document (our expected failures over HTTP)."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def problem_response(
    status: int, detail: str | None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Return a problem document for a status, titled by its standard reason phrase."""
    problem = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail)
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_TYPE,
    )


def validation_detail(exc: RequestValidationError) -> str:
    """Say which part of the request was wrong, in one line."""
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is malformed"


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE:
            methods.update(route.methods or ())
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer our refusals, Starlette's (404, 405) and FastAPI's validation as problems."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(exc.status, exc.detail, exc.headers)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(exc.status_code, detail, headers)

    async def on_invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(422, validation_detail(exc))

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
