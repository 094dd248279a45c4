"""Request bodies as Chatwoot clients send them: JSON (wrapped ``{"contact": {…}}`` or flat),
form-encoded or multipart with string fields and Rails bracket keys (``custom_attributes[plan]``).

Each endpoint declares its body as a ``msgspec.Struct``; ``body(Struct, wrap="contact")`` is the
Litestar dependency that parses it, and also tells the OpenAPI generator what the body looks like.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.di import NamedDependency, Provide

from frontdesk.auth.dependencies import authenticate
from frontdesk.errors import BadRequest, ValidationFailed

T = TypeVar("T", bound=msgspec.Struct)

TOO_DEEP = "The request body is nested too deeply"
# Deeper bodies are refused (Rack refuses form params nested deeper than 32; JSON attributes here are
# stored and re-encoded, which a thousand levels would exhaust).
MAX_DEPTH = 64
_PATH_PART = re.compile(r"\[(\d+)\]|\.([A-Za-z_][A-Za-z0-9_]*)|\.\[\"?([^\]\"]*)\"?\]")
_BRACKET_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class BodySpec:
    """What an endpoint's body is: kept on the dependency so the OpenAPI document can describe it."""

    def __init__(self, struct: type[msgspec.Struct], wrap: str | None, file_field: str | None = None) -> None:
        self.struct = struct
        self.wrap = wrap
        # The multipart field files come in (``attachments[]``), for endpoints that take files.
        self.file_field = file_field


def _set_nested(target: dict[str, Any], key: str, value: Any) -> None:
    match = _BRACKET_KEY.match(key)
    if not match or not match.group(2):
        target[key] = value
        return
    parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
    node: Any = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = None if last else parts[index + 1]
        if part == "":
            # "labels[]": append to a list.
            if not isinstance(node, list):
                return
            if last:
                node.append(value)
            else:
                node.append({})
                node = node[-1]
            continue
        if not isinstance(node, dict):
            return
        if last:
            node[part] = value
        else:
            default: Any = [] if following == "" else {}
            child = node.setdefault(part, default)
            if not isinstance(child, (dict, list)):
                child = node[part] = default
            node = child


async def read_raw_body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The body as a dict, whatever its encoding; an empty body is ``{}``.

    Who asks comes first: a request without valid credentials answers 401, whatever its body says."""
    await authenticate(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        result: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, str):
                _set_nested(result, key, value)
        _check_depth(result)
        return result
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        decoded = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise BadRequest("The request body is not valid JSON") from None
    except RecursionError:
        raise BadRequest(TOO_DEEP) from None
    if not isinstance(decoded, dict):
        raise BadRequest("The request body must be a JSON object")
    _check_depth(decoded)
    return decoded


def _check_depth(value: Any) -> None:
    """Refuse a body nested deeper than ``MAX_DEPTH`` (walked without recursion)."""
    level: list[Any] = [value]
    for _ in range(MAX_DEPTH):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]
        if not level:
            return
    raise BadRequest(TOO_DEEP)


def unwrap(raw: dict[str, Any], wrap: str | None) -> dict[str, Any]:
    """Rails' ParamsWrapper in reverse: ``{"contact": {…}, "inbox_id": 1}`` → one flat dict."""
    if wrap and isinstance(raw.get(wrap), dict):
        merged = {key: value for key, value in raw.items() if key != wrap}
        merged.update(raw[wrap])
        return merged
    return raw


def field_of(error: msgspec.ValidationError) -> str | None:
    """The top-level field a msgspec error points at (``… - at `$.inbox_id` `` → ``inbox_id``)."""
    message = str(error)
    marker = message.rfind(" - at `$")
    if marker == -1:
        missing = re.search(r"missing required field `([^`]+)`", message)
        return missing.group(1) if missing else None
    path = message[marker + len(" - at `$") : -1]
    match = _PATH_PART.match(path)
    if not match:
        return None
    return match.group(2) or match.group(3) or match.group(1)


def convert(data: dict[str, Any], struct: type[T]) -> T:
    """Convert a dict to ``struct``; strings from forms become ints and booleans where declared."""
    try:
        return msgspec.convert(data, struct, strict=False)
    except RecursionError:
        # Bracket keys of a form body can nest as deep as JSON can.
        raise BadRequest(TOO_DEEP) from None
    except msgspec.ValidationError as error:
        name = field_of(error)
        detail = str(error).split(" - at `")[0]
        detail = detail[0].upper() + detail[1:] if detail else "Invalid value"
        if name:
            raise ValidationFailed(f"{name} is invalid: {detail}", [name]) from None
        raise ValidationFailed(detail, []) from None


async def parse_body(request: Request[Any, Any, Any], struct: type[T], wrap: str | None = None) -> T:
    return convert(unwrap(await read_raw_body(request), wrap), struct)


def body(struct: type[T], wrap: str | None = None, *, after: str | None = None) -> Provide:
    """The dependency that parses an endpoint's body into ``struct`` (``dependencies={"payload": body(...)}``).

    ``after`` (``"account"`` or ``"uow"``) makes the body wait for that dependency of the handler: Litestar
    resolves a batch of independent dependencies side by side in a task group, which costs a hot endpoint
    ~0.1 ms; one after the other costs nothing, and credentials still come first."""

    async def provide_payload(request: Request[Any, Any, Any]) -> Any:
        return await parse_body(request, struct, wrap)

    async def provide_payload_after_account(request: Request[Any, Any, Any], account: NamedDependency[Any]) -> Any:
        return await parse_body(request, struct, wrap)

    async def provide_payload_after_uow(request: Request[Any, Any, Any], uow: NamedDependency[Any]) -> Any:
        return await parse_body(request, struct, wrap)

    providers: dict[str | None, Callable[..., Awaitable[Any]]] = {
        None: provide_payload,
        "account": provide_payload_after_account,
        "uow": provide_payload_after_uow,
    }
    provider = providers[after]
    provider.body_spec = BodySpec(struct, wrap)  # type: ignore[attr-defined]
    return Provide(provider)
