"""Amazon's web-service verification rules, each with a failing request and a passing one."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from envelopes import SKILL_ID, envelope, intent
from flask.testing import FlaskClient
from pki import NOW, Authority, Leaf

from skill.errors import VerificationError
from skill.settings import Settings
from skill.verification import (
    CertificateStore,
    RequestVerifier,
    check_cert_url,
    download,
    system_trust_roots,
)
from skill.web import create_app

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Fetcher:
    """Serves certificate chains by URL and records every download."""

    chains: dict[str, bytes] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def __call__(self, url: str, timeout: float) -> bytes:
        self.calls.append(url)
        if url not in self.chains:
            raise VerificationError("could not download the signing certificate")
        return self.chains[url]


@dataclass
class Harness:
    client: FlaskClient
    fetcher: Fetcher
    clock: Clock
    leaf: Leaf

    def post(
        self,
        payload: dict[str, Any] | None = None,
        *,
        url: str | None = CERT_URL,
        signer: Leaf | None = None,
        signature: str | None = None,
        body: bytes | None = None,
    ) -> Any:
        if body is None:
            body = json.dumps(payload or intent("AMAZON.HelpIntent", self.clock.now)).encode()
        headers = {"Content-Type": "application/json"}
        if url is not None:
            headers["SignatureCertChainUrl"] = url
        if signature is None:
            signature = (signer or self.leaf).sign(body)
        if signature:
            headers["Signature-256"] = signature
        return self.client.post("/alexa", data=body, headers=headers)


@pytest.fixture
def harness(tmp_path: Path, authority: Authority) -> Iterator[Harness]:
    leaf = authority.issue()
    clock = Clock()
    fetcher = Fetcher({CERT_URL: leaf.pem()})
    store = CertificateStore([authority.certificate], fetch=fetcher, clock=clock)
    settings = Settings(database=tmp_path / "db.sqlite3", skill_ids=frozenset({SKILL_ID}))
    app = create_app(settings, verifier=RequestVerifier(store, clock=clock))
    yield Harness(app.test_client(), fetcher, clock, leaf)


def assert_rejected(response: Any, reason: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["status"] == "error"
    assert reason in response.json["error"]


# --- the certificate URL ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
        "HTTPS://S3.AmazonAWS.COM/echo.api/echo-api-cert.pem",
    ],
)
def test_valid_certificate_urls_pass(url: str) -> None:
    check_cert_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com.evil.example/echo.api/cert.pem", "host"),
        ("https://user@s3.amazonaws.com/echo.api/cert.pem", "host"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "port"),
        ("https://s3.amazonaws.com/echo.api/../cert.pem", "path"),
        ("https://s3.amazonaws.com:notaport/echo.api/cert.pem", "malformed"),
    ],
)
def test_invalid_certificate_urls_fail(url: str, reason: str) -> None:
    with pytest.raises(VerificationError, match=reason):
        check_cert_url(url)


def test_request_with_bad_certificate_url_is_rejected_before_any_download(
    harness: Harness,
) -> None:
    response = harness.post(url="https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem")
    assert_rejected(response, "port")
    assert harness.fetcher.calls == []


# --- a good request, and the headers ------------------------------------------------------


def test_correctly_signed_request_is_answered(harness: Harness) -> None:
    response = harness.post()
    assert response.status_code == 200
    assert "recovery advice" in response.json["response"]["outputSpeech"]["ssml"]


def test_header_names_are_case_insensitive(harness: Harness) -> None:
    body = json.dumps(intent("AMAZON.HelpIntent", harness.clock.now)).encode()
    response = harness.client.post(
        "/alexa",
        data=body,
        headers={"signaturecertchainurl": CERT_URL, "SIGNATURE-256": harness.leaf.sign(body)},
    )
    assert response.status_code == 200


def test_missing_certificate_url_header_is_rejected(harness: Harness) -> None:
    assert_rejected(harness.post(url=None), "SignatureCertChainUrl")


def test_missing_signature_header_is_rejected(harness: Harness) -> None:
    assert_rejected(harness.post(signature=""), "Signature-256")


def test_signature_that_is_not_base64_is_rejected(harness: Harness) -> None:
    assert_rejected(harness.post(signature="not base64 at all!"), "base64")


# --- the signature ------------------------------------------------------------------------


def test_tampered_body_is_rejected(harness: Harness) -> None:
    body = json.dumps(intent("AMAZON.HelpIntent", harness.clock.now)).encode()
    signature = harness.leaf.sign(body)
    tampered = body.replace(b"HelpIntent", b"StopIntent")
    assert_rejected(harness.post(body=tampered, signature=signature), "signature does not match")


def test_body_signed_by_another_key_is_rejected(harness: Harness, authority: Authority) -> None:
    assert_rejected(harness.post(signer=authority.issue()), "signature does not match")


# --- the certificate ----------------------------------------------------------------------


def _serve_chain(harness: Harness, pem: bytes) -> str:
    url = "https://s3.amazonaws.com/echo.api/other-cert.pem"
    harness.fetcher.chains[url] = pem
    return url


def test_expired_certificate_is_rejected(harness: Harness, authority: Authority) -> None:
    leaf = authority.issue(not_before=NOW - timedelta(days=60), not_after=NOW - timedelta(days=1))
    url = _serve_chain(harness, leaf.pem())
    assert_rejected(harness.post(url=url, signer=leaf), "expired or not yet valid")


def test_not_yet_valid_certificate_is_rejected(harness: Harness, authority: Authority) -> None:
    leaf = authority.issue(not_before=NOW + timedelta(days=1), not_after=NOW + timedelta(days=60))
    url = _serve_chain(harness, leaf.pem())
    assert_rejected(harness.post(url=url, signer=leaf), "expired or not yet valid")


def test_certificate_for_another_name_is_rejected(harness: Harness, authority: Authority) -> None:
    leaf = authority.issue(dns_names=("echo-api.example.com",))
    url = _serve_chain(harness, leaf.pem())
    assert_rejected(harness.post(url=url, signer=leaf), "echo-api.amazon.com")


def test_certificate_from_untrusted_authority_is_rejected(harness: Harness) -> None:
    stranger = Authority.create("Untrusted Root").issue()
    url = _serve_chain(harness, stranger.pem())
    assert_rejected(harness.post(url=url, signer=stranger), "trusted root")


def test_chain_through_an_intermediate_is_accepted(harness: Harness, authority: Authority) -> None:
    # Amazon's PEM holds the leaf followed by its intermediates; only the root is trusted.
    intermediate = authority.subordinate()
    leaf = intermediate.issue()
    url = _serve_chain(harness, leaf.pem() + intermediate.pem())
    assert harness.post(url=url, signer=leaf).status_code == 200


def test_chain_missing_its_intermediate_is_rejected(harness: Harness, authority: Authority) -> None:
    leaf = authority.subordinate().issue()
    url = _serve_chain(harness, leaf.pem())
    assert_rejected(harness.post(url=url, signer=leaf), "trusted root")


def test_garbage_certificate_is_rejected(harness: Harness) -> None:
    url = _serve_chain(harness, b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    assert_rejected(harness.post(url=url), "PEM")


def test_failed_download_is_rejected(harness: Harness) -> None:
    url = "https://s3.amazonaws.com/echo.api/missing.pem"
    assert_rejected(harness.post(url=url), "could not download")


# --- the certificate cache ----------------------------------------------------------------


def test_certificate_is_downloaded_once_while_valid(harness: Harness) -> None:
    for _ in range(3):
        assert harness.post().status_code == 200
    assert harness.fetcher.calls == [CERT_URL]


def test_certificate_is_downloaded_again_after_it_expires(
    harness: Harness, authority: Authority
) -> None:
    assert harness.post().status_code == 200
    renewed = authority.issue(not_before=NOW, not_after=NOW + timedelta(days=90))
    harness.fetcher.chains[CERT_URL] = renewed.pem()
    harness.clock.now = harness.leaf.certificate.not_valid_after_utc + timedelta(hours=1)
    payload = intent("AMAZON.HelpIntent", harness.clock.now)
    assert harness.post(payload, signer=renewed).status_code == 200
    assert harness.fetcher.calls == [CERT_URL, CERT_URL]


# --- the timestamp and the skill ID ------------------------------------------------------


@pytest.mark.parametrize(
    "offset", [timedelta(seconds=151), timedelta(seconds=-151), timedelta(hours=2)]
)
def test_stale_or_future_timestamp_is_rejected(harness: Harness, offset: timedelta) -> None:
    payload = intent("AMAZON.HelpIntent", harness.clock.now - offset)
    assert_rejected(harness.post(payload), "150 seconds")


@pytest.mark.parametrize("offset", [timedelta(seconds=149), timedelta(seconds=-149)])
def test_timestamp_within_150_seconds_is_accepted(harness: Harness, offset: timedelta) -> None:
    assert harness.post(intent("AMAZON.HelpIntent", harness.clock.now - offset)).status_code == 200


def test_missing_timestamp_is_rejected(harness: Harness) -> None:
    payload = intent("AMAZON.HelpIntent", harness.clock.now)
    del payload["request"]["timestamp"]
    assert_rejected(harness.post(payload), "timestamp")


def test_request_for_another_skill_is_rejected(harness: Harness) -> None:
    payload = intent(
        "AMAZON.HelpIntent", harness.clock.now, skill_id="amzn1.ask.skill.someone-else"
    )
    assert_rejected(harness.post(payload), "skill ID")


def test_unknown_json_properties_are_tolerated(harness: Harness) -> None:
    payload = intent("AMAZON.HelpIntent", harness.clock.now)
    payload["request"]["somethingNew"] = {"certification": True}
    payload["futureField"] = 1
    assert harness.post(payload).status_code == 200


def test_unsigned_launch_request_is_rejected(harness: Harness) -> None:
    payload = envelope({"type": "LaunchRequest"}, timestamp=harness.clock.now)
    body = json.dumps(payload).encode()
    response = harness.client.post("/alexa", data=body, headers={"SignatureCertChainUrl": CERT_URL})
    assert_rejected(response, "Signature-256")


# --- secure by default --------------------------------------------------------------------


def test_verification_needs_a_configured_skill_id(tmp_path: Path) -> None:
    from skill.errors import SettingsError

    with pytest.raises(SettingsError, match="skill_id"):
        create_app(Settings(database=tmp_path / "db.sqlite3"))


def test_default_app_verifies_requests(tmp_path: Path) -> None:
    # No verifier injected: the real one runs, and an unsigned request never reaches the skill.
    settings = Settings(database=tmp_path / "db.sqlite3", skill_ids=frozenset({SKILL_ID}))
    client = create_app(settings).test_client()
    from datetime import UTC

    response = client.post("/alexa", json=intent("AMAZON.HelpIntent", datetime.now(UTC)))
    assert_rejected(response, "SignatureCertChainUrl")


def test_system_trust_store_loads() -> None:
    roots = system_trust_roots()
    assert len(roots) > 10


# --- the real download function -----------------------------------------------------------


def _server(handler: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            handler(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/echo.api/cert.pem"
    finally:
        server.shutdown()
        server.server_close()


def test_download_reads_a_certificate(authority: Authority) -> None:
    pem = authority.issue().pem()

    def reply(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.end_headers()
        request.wfile.write(pem)

    for url in _server(reply):
        assert download(url, timeout=2.0) == pem


def test_download_refuses_oversized_bodies() -> None:
    def reply(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.end_headers()
        request.wfile.write(b"x" * (200 * 1024))

    for url in _server(reply):
        with pytest.raises(VerificationError, match="too large"):
            download(url, timeout=2.0)


def test_download_gives_up_after_its_timeout() -> None:
    # A server that accepts the connection and never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/echo.api/cert.pem"
        with pytest.raises(VerificationError, match="could not download"):
            download(url, timeout=0.3)
    finally:
        listener.close()
