"""Every refusal as an RFC 9457 problem document, so a CMS developer reads one shape."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

#: RFC 9457's media type; clients may tell a problem from a resource by it alone.
PROBLEM_TYPE = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem: `title` names the kind, `detail` says what to do about this one."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None


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


def install_problem_handlers(app: FastAPI) -> None:
    """Answer our refusals, Starlette's (404, 405) and FastAPI's validation as problems."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(exc.status, exc.detail, exc.headers)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
        return problem_response(exc.status_code, detail, dict(exc.headers or {}))

    async def on_invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(422, validation_detail(exc))

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
