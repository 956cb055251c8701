"""Errors the API answers with: JSON ``{"error": {"code", "message", "field"}}``."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, field: str | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.headers = headers or {}

    def body(self) -> dict:
        err = {"code": self.status, "message": self.message}
        if self.field:
            err["field"] = self.field
        return {"error": err}


def not_found(what: str = "not found") -> ApiError:
    return ApiError(404, what)


def bad_request(message: str, field: str | None = None) -> ApiError:
    return ApiError(400, message, field=field)
