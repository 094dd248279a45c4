"""AWS Signature Version 4 for S3, header and query (presigned) forms, without an AWS SDK.

Follows https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html: paths are
given raw (unencoded) and encoded here once, as S3 wants (no double encoding, ``/`` kept); query names
and values are encoded with only the unreserved characters left as they are.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# The longest a presigned URL may live (seven days).
MAX_PRESIGN_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    region: str
    service: str = "s3"


def uri_encode(value: str, *, keep_slash: bool) -> str:
    """SigV4's UriEncode: everything but ``A-Za-z0-9-._~`` percent-encoded (UTF-8), ``/`` too unless kept."""
    return quote(value, safe="/~" if keep_slash else "~")


def canonical_query(params: Mapping[str, str]) -> str:
    encoded = sorted(
        (uri_encode(name, keep_slash=False), uri_encode(value, keep_slash=False)) for name, value in params.items()
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def _scope(credentials: Credentials, now: datetime) -> str:
    return f"{now:%Y%m%d}/{credentials.region}/{credentials.service}/aws4_request"


def signing_key(credentials: Credentials, now: datetime) -> bytes:
    key = f"AWS4{credentials.secret_access_key}".encode()
    for part in (f"{now:%Y%m%d}", credentials.region, credentials.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _signature(
    credentials: Credentials,
    now: datetime,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_hash: str,
) -> tuple[str, str]:
    """The hex signature and the signed-headers list of one request (``headers`` are all signed)."""
    canonical_headers = {name.lower(): " ".join(value.strip().split()) for name, value in headers.items()}
    signed_headers = ";".join(sorted(canonical_headers))
    canonical_request = "\n".join(
        [
            method,
            uri_encode(path, keep_slash=True),
            canonical_query(query),
            "".join(f"{name}:{canonical_headers[name]}\n" for name in sorted(canonical_headers)),
            signed_headers,
            payload_hash,
        ]
    )
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            f"{now:%Y%m%dT%H%M%SZ}",
            _scope(credentials, now),
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    signature = hmac.new(signing_key(credentials, now), string_to_sign.encode(), hashlib.sha256).hexdigest()
    return signature, signed_headers


def sign_headers(
    credentials: Credentials,
    *,
    method: str,
    host: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_hash: str,
    now: datetime,
) -> dict[str, str]:
    """``headers`` plus ``Host``, ``x-amz-date``, ``x-amz-content-sha256`` and ``Authorization``; every
    header given is signed, so send exactly these. ``now`` is UTC."""
    signed = {**headers, "host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": f"{now:%Y%m%dT%H%M%SZ}"}
    signature, signed_headers = _signature(credentials, now, method, path, query, signed, payload_hash)
    signed["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{_scope(credentials, now)}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return signed


def presign(
    credentials: Credentials,
    *,
    method: str,
    host: str,
    path: str,
    query: Mapping[str, str],
    expires_in: int,
    now: datetime,
) -> str:
    """The encoded query string of a presigned URL (only ``host`` signed, the payload unsigned)."""
    if not 1 <= expires_in <= MAX_PRESIGN_SECONDS:
        raise ValueError(f"a presigned URL lives 1 to {MAX_PRESIGN_SECONDS} seconds, not {expires_in}")
    params = {
        **query,
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{credentials.access_key_id}/{_scope(credentials, now)}",
        "X-Amz-Date": f"{now:%Y%m%dT%H%M%SZ}",
        "X-Amz-Expires": str(expires_in),
        "X-Amz-SignedHeaders": "host",
    }
    signature, _ = _signature(credentials, now, method, path, params, {"host": host}, UNSIGNED_PAYLOAD)
    return f"{canonical_query(params)}&X-Amz-Signature={signature}"
