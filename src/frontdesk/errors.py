"""Domain errors carry their HTTP status and Chatwoot's JSON body; one handler renders them."""

from __future__ import annotations

from typing import Any


class FrontdeskError(Exception):
    status_code = 400

    def __init__(self, body: dict[str, Any], status_code: int | None = None) -> None:
        super().__init__(body)
        self.body = body
        if status_code is not None:
            self.status_code = status_code


class NotFound(FrontdeskError):
    status_code = 404

    def __init__(self, message: str = "Resource could not be found") -> None:
        super().__init__({"error": message})


class Unauthorized(FrontdeskError):
    status_code = 401

    def __init__(self, message: str) -> None:
        super().__init__({"error": message})


class NotSignedIn(FrontdeskError):
    """No credentials at all. Chatwoot answers devise's ``errors`` list; ``error`` is added for clients
    that read the singular key everywhere else."""

    status_code = 401

    def __init__(self) -> None:
        message = "You need to sign in or sign up before continuing."
        super().__init__({"error": message, "errors": [message]})


class Forbidden(FrontdeskError):
    status_code = 403

    def __init__(self, message: str) -> None:
        super().__init__({"error": message})


class ValidationFailed(FrontdeskError):
    """A field-level validation error: ``{"message": "Email has already been taken", "attributes": ["email"]}``."""

    status_code = 422

    def __init__(self, message: str, attributes: list[str]) -> None:
        super().__init__({"message": message, "attributes": attributes})
        self.message = message
        self.attributes = attributes


class Unprocessable(FrontdeskError):
    """A 422 that is not about one field: ``{"error": "..."}``."""

    status_code = 422

    def __init__(self, message: str) -> None:
        super().__init__({"error": message})


class BadRequest(FrontdeskError):
    status_code = 400

    def __init__(self, message: str, attributes: list[str] | None = None) -> None:
        body: dict[str, Any] = {"error": message}
        if attributes:
            body["attributes"] = attributes
        super().__init__(body)


def not_authorized() -> Unauthorized:
    """Pundit's failure in Chatwoot answers 401, not 403."""
    return Unauthorized("You are not authorized to do this action")
