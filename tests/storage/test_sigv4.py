"""Our SigV4 against the AWS documentation's examples and against botocore, AWS's own signer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import botocore.auth
import botocore.credentials
import pytest
from botocore.awsrequest import AWSRequest

from frontdesk.storage.sigv4 import EMPTY_SHA256, Credentials, presign, sign_headers, uri_encode

# https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (and the query-auth page).
EXAMPLE = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
EXAMPLE_TIME = datetime(2013, 5, 24, tzinfo=UTC)
EXAMPLE_HOST = "examplebucket.s3.amazonaws.com"


def test_get_object_example_from_the_aws_documentation() -> None:
    headers = sign_headers(
        EXAMPLE,
        method="GET",
        host=EXAMPLE_HOST,
        path="/test.txt",
        query={},
        headers={"Range": "bytes=0-9"},
        payload_hash=EMPTY_SHA256,
        now=EXAMPLE_TIME,
    )
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    assert headers["x-amz-date"] == "20130524T000000Z"


def test_presigned_get_example_from_the_aws_documentation() -> None:
    query = presign(
        EXAMPLE, method="GET", host=EXAMPLE_HOST, path="/test.txt", query={}, expires_in=86400, now=EXAMPLE_TIME
    )
    assert query == (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )


def test_uri_encoding_follows_sigv4() -> None:
    assert uri_encode("/bucket/a b+c~d_e.f-g/é%=", keep_slash=True) == "/bucket/a%20b%2Bc~d_e.f-g/%C3%A9%25%3D"
    assert uri_encode("a/b c", keep_slash=False) == "a%2Fb%20c"


# Keys and dispositions that exercise the encoding: spaces, plus, percent, unicode, quotes, equals.
AWKWARD_KEY = "2024/05/a b+c%d=é~x.txt"
AWKWARD_QUERY = {
    "response-content-type": "text/plain; charset=utf-8",
    "response-content-disposition": "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
}
FIXED = datetime(2024, 1, 2, 3, 4, 5)


@pytest.fixture
def frozen_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FIXED)


def _botocore_credentials() -> botocore.credentials.Credentials:
    return botocore.credentials.Credentials(EXAMPLE.access_key_id, EXAMPLE.secret_access_key)


@pytest.mark.usefixtures("frozen_botocore")
def test_presigned_url_matches_botocore() -> None:
    path = f"/bucket/{AWKWARD_KEY}"
    ours = presign(
        EXAMPLE,
        method="GET",
        host="127.0.0.1:9000",
        path=path,
        query=AWKWARD_QUERY,
        expires_in=3600,
        now=FIXED.replace(tzinfo=UTC),
    )
    request = AWSRequest(
        method="GET",
        url=f"http://127.0.0.1:9000{quote(path, safe='/~')}?{urlencode(AWKWARD_QUERY, quote_via=quote)}",
    )
    botocore.auth.S3SigV4QueryAuth(_botocore_credentials(), "s3", EXAMPLE.region, expires=3600).add_auth(request)
    theirs = parse_qs(urlsplit(request.url).query)
    assert parse_qs(ours)["X-Amz-Signature"] == theirs["X-Amz-Signature"]


@pytest.mark.usefixtures("frozen_botocore")
def test_signed_put_matches_botocore() -> None:
    body = b"hello, world"
    headers = {"Content-Type": "text/plain", "Content-MD5": "5NfxtO0uQtFYmPSyewGdpA=="}
    ours = sign_headers(
        EXAMPLE,
        method="PUT",
        host="127.0.0.1:9000",
        path=f"/bucket/{AWKWARD_KEY}",
        query={"partNumber": "1", "uploadId": "a/b+c=="},
        headers=headers,
        payload_hash=hashlib.sha256(body).hexdigest(),
        now=FIXED.replace(tzinfo=UTC),
    )
    request = AWSRequest(
        method="PUT",
        url=f"http://127.0.0.1:9000{quote(f'/bucket/{AWKWARD_KEY}', safe='/~')}?partNumber=1&uploadId=a%2Fb%2Bc%3D%3D",
        headers=dict(headers),
        data=body,
    )
    botocore.auth.S3SigV4Auth(_botocore_credentials(), "s3", EXAMPLE.region).add_auth(request)
    assert ours["Authorization"] == request.headers["Authorization"]


def test_presigned_lifetimes_are_bounded() -> None:
    for expires_in in (0, 7 * 24 * 3600 + 1):
        with pytest.raises(ValueError):
            presign(EXAMPLE, method="GET", host=EXAMPLE_HOST, path="/k", query={}, expires_in=expires_in, now=FIXED)
