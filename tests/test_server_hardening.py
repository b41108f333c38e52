"""The HTTP edge under abuse: idle connections, oversized bodies, odd envelopes, forged requests."""

from __future__ import annotations

import http.client
import io
import json
import logging
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from envelope_fuzz import bodies, check_answer
from envelopes import SKILL_ID, envelope, intent
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import settings as hsettings
from pki import NOW, Authority, Leaf
from server_support import start_server
from test_verification import CERT_URL, Clock, Fetcher

from skill.edge import MAX_BODY_BYTES, MAX_JSON_DEPTH
from skill.errors import VerificationError
from skill.settings import Settings
from skill.verification import CertificateStore, RequestVerifier
from skill.web import create_app


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from start_server(tmp_path_factory.mktemp("hardening"), "--no-verify")


def _address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def _post(
    base: str, body: bytes, headers: dict[str, str] | None = None, timeout: float = 5.0
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection(*_address(base), timeout=timeout)
    try:
        connection.request("POST", "/alexa", body=body, headers=headers or {})
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        connection.close()


def _json_error(status: int, document: dict[str, Any], code: int) -> None:
    assert status == code, document
    assert document["status"] == "error"
    assert isinstance(document["error"], str)


# --- idle and slow connections (defect 7) -------------------------------------------------


def test_a_crowd_of_idle_connections_does_not_lock_out_alexa(server: str) -> None:
    # More idle sockets than waitress's default connection_limit of 100.
    idle = []
    try:
        for _ in range(120):
            idle.append(socket.create_connection(_address(server), timeout=5))
            idle[-1].sendall(b"POST /alexa HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.3)  # let the server accept them all
        payload = json.dumps(intent("AMAZON.HelpIntent", datetime.now(UTC))).encode()
        started = time.monotonic()
        status, document = _post(server, payload, {"Content-Type": "application/json"}, 5.0)
        assert status == 200, document
        assert time.monotonic() - started < 1.0
    finally:
        for connection in idle:
            connection.close()


@pytest.fixture
def quick_server() -> Iterator[str]:
    """The hardened server in-process, with a 1 s request deadline to test it quickly."""
    from flask import Flask

    from skill.server import RunningServer, build_server

    app = Flask(__name__)
    app.post("/alexa")(lambda: "ok")
    running = RunningServer(build_server(app, "127.0.0.1", 0, request_deadline_s=1.0)).start()
    try:
        yield f"http://127.0.0.1:{running.port}"
    finally:
        running.stop()


def test_a_client_trickling_its_headers_is_dropped_at_the_deadline(quick_server: str) -> None:
    # Each byte resets waitress's idle timer; only the per-request deadline stops this client.
    with socket.create_connection(_address(quick_server), timeout=1) as slow:
        started = time.monotonic()
        dropped = False
        for byte in b"POST /alexa HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            try:
                slow.send(bytes([byte]))
                slow.settimeout(0.25)
                dropped = slow.recv(1) == b""
            except TimeoutError:
                continue
            except OSError:
                dropped = True
            if dropped:
                break
        assert dropped
        assert time.monotonic() - started < 5.0


def test_waitress_refusals_use_the_json_error_shape(quick_server: str) -> None:
    with socket.create_connection(_address(quick_server), timeout=3) as connection:
        connection.sendall(b"POST /alexa HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000)
        reply = http.client.HTTPResponse(connection)
        reply.begin()
        _json_error(reply.status, json.loads(reply.read()), 431)


# --- body limits (defect 8) ---------------------------------------------------------------


def test_announced_oversized_body_is_refused_before_it_is_sent(server: str) -> None:
    # Only the headers go out: the answer must come without waiting for 10 MiB of body.
    with socket.create_connection(_address(server), timeout=3) as connection:
        connection.sendall(
            b"POST /alexa HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10485760\r\n\r\n{"
        )
        reply = http.client.HTTPResponse(connection)
        reply.begin()
        _json_error(reply.status, json.loads(reply.read()), 413)


def test_chunked_body_that_grows_too_big_is_refused(server: str) -> None:
    with socket.create_connection(_address(server), timeout=5) as connection:
        connection.sendall(b"POST /alexa HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 16384
        try:
            for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server may close as soon as it has refused
        reply = http.client.HTTPResponse(connection)
        reply.begin()
        _json_error(reply.status, json.loads(reply.read()), 413)


def test_body_at_the_limit_is_read_and_one_byte_more_is_413(server: str) -> None:
    headers = {"Content-Type": "application/json"}
    padded = b"{" + b" " * (MAX_BODY_BYTES - 2) + b"}"
    status, document = _post(server, padded, headers)
    _json_error(status, document, 400)  # read and parsed: an empty object has no request
    status, document = _post(server, padded + b" ", headers)
    _json_error(status, document, 413)


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 200 * 1024, 300 * 1024])
def test_every_oversized_body_gets_413_through_flask(settings: Settings, size: int) -> None:
    client = create_app(settings).test_client()
    response = client.post("/alexa", data=b"{" + b" " * (size - 2) + b"}")
    _json_error(response.status_code, response.json, 413)


def test_oversized_chunked_body_gets_413_through_flask(settings: Settings) -> None:
    # No Content-Length: the server marks the input as terminated (as waitress does for
    # chunked bodies) and the app must stop reading at the limit.
    client = create_app(settings).test_client()
    response = client.post(
        "/alexa",
        input_stream=io.BytesIO(b" " * (MAX_BODY_BYTES * 4)),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    _json_error(response.status_code, response.json, 413)


# --- envelopes that used to answer 500 (defect 9) -----------------------------------------


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    return create_app(settings).test_client()


def _without_session(request_type: str) -> dict[str, Any]:
    if request_type == "IntentRequest":
        payload = intent("AMAZON.HelpIntent", datetime.now(UTC))
    else:
        payload = envelope({"type": request_type}, timestamp=datetime.now(UTC))
    del payload["session"]
    return payload


@pytest.mark.parametrize("key", ["__dict__", "__class__", "__init__"])
@pytest.mark.parametrize("where", ["session", "request", "context"])
def test_python_internals_named_as_keys_are_400(client: FlaskClient, key: str, where: str) -> None:
    """Found by the 5,000-envelope fuzz: ask-sdk's deserializer sets them as attributes."""
    payload = envelope({"type": "LaunchRequest"}, timestamp=datetime.now(UTC))
    payload[where][key] = {"n": "bottom"}
    response = client.post("/alexa", json=payload)
    _json_error(response.status_code, response.json, 400)


@pytest.mark.parametrize("request_type", ["LaunchRequest", "IntentRequest", "SessionEndedRequest"])
@pytest.mark.parametrize("session", [None, "absent"])
def test_in_session_request_types_without_a_session_are_400(
    client: FlaskClient, request_type: str, session: str | None
) -> None:
    # Alexa sends a session with every standard request; only AudioPlayer-style ones lack it.
    payload = _without_session(request_type)
    if session is None:
        payload["session"] = None
    response = client.post("/alexa", json=payload)
    _json_error(response.status_code, response.json, 400)
    assert "session" in response.json["error"]


def test_can_fulfill_without_a_session_is_answered(client: FlaskClient) -> None:
    payload = _without_session("CanFulfillIntentRequest")
    payload["request"]["intent"] = {"name": "GetRecoveryPlanIntent", "slots": {}}
    response = client.post("/alexa", json=payload)
    assert response.status_code == 200
    assert response.json["response"]["canFulfillIntent"]["canFulfill"] == "YES"


def test_exception_encountered_without_a_session_is_answered(client: FlaskClient) -> None:
    payload = _without_session("System.ExceptionEncountered")
    payload["request"]["error"] = {"type": "INVALID_RESPONSE", "message": "oops"}
    response = client.post("/alexa", json=payload)
    assert response.status_code == 200


def test_catch_all_answers_even_out_of_session() -> None:
    from ask_sdk_core.attributes_manager import AttributesManager
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import RequestEnvelope
    from ask_sdk_model.launch_request import LaunchRequest

    from skill.handlers import CatchAllExceptionHandler

    request_envelope = RequestEnvelope(request=LaunchRequest(), session=None)
    handler_input = HandlerInput(
        request_envelope, AttributesManager(request_envelope=request_envelope)
    )
    response = CatchAllExceptionHandler().handle(handler_input, RuntimeError("boom"))
    assert response.output_speech is not None
    assert "something went wrong" in response.output_speech.ssml


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_deeply_nested_json_is_400(client: FlaskClient, depth: int) -> None:
    head = b'{"request": {"type": "LaunchRequest"}, "context": {}, "x": '
    body = head + b"[" * depth + b"]" * depth + b"}"
    if len(body) > MAX_BODY_BYTES:
        body = head + b"[" * (MAX_BODY_BYTES - len(head) - 10)
    started = time.monotonic()
    response = client.post("/alexa", data=body, content_type="application/json")
    _json_error(response.status_code, response.json, 400)
    assert time.monotonic() - started < 1.0


def test_nesting_inside_strings_is_not_counted(client: FlaskClient) -> None:
    payload = intent("AMAZON.HelpIntent", datetime.now(UTC))
    payload["request"]["note"] = "[{" * 1000
    assert client.post("/alexa", json=payload).status_code == 200


def test_ordinary_nesting_is_accepted(client: FlaskClient) -> None:
    payload = intent("AMAZON.HelpIntent", datetime.now(UTC))
    nested: Any = "leaf"
    for _ in range(MAX_JSON_DEPTH - 8):  # the envelope around it is a few levels deep itself
        nested = {"n": nested}
    payload["session"]["attributes"] = {"deep": nested}
    assert client.post("/alexa", json=payload).status_code == 200


# --- cheap checks before any download, and a negative cache (defect 10) --------------------


def _verified(tmp_path: Path, store: CertificateStore, clock: Clock) -> FlaskClient:
    settings = Settings(database=tmp_path / "db.sqlite3", skill_ids=frozenset({SKILL_ID}))
    return create_app(settings, verifier=RequestVerifier(store, clock=clock)).test_client()


def _forged(client: FlaskClient, payload: dict[str, Any], url: str, signer: Leaf) -> Any:
    body = json.dumps(payload).encode()
    headers = {"SignatureCertChainUrl": url, "Signature-256": signer.sign(body)}
    return client.post("/alexa", data=body, headers=headers, content_type="application/json")


def test_stale_request_is_refused_without_downloading(tmp_path: Path, authority: Authority) -> None:
    leaf = authority.issue()
    fetcher, clock = Fetcher({CERT_URL: leaf.pem()}), Clock()
    client = _verified(tmp_path, CertificateStore([authority.certificate], fetch=fetcher), clock)
    stale = intent("AMAZON.HelpIntent", NOW - timedelta(minutes=10))
    response = _forged(client, stale, CERT_URL, leaf)
    _json_error(response.status_code, response.json, 400)
    assert "150 seconds" in response.json["error"]
    assert fetcher.calls == []


def test_a_flood_with_one_bad_url_costs_one_download(tmp_path: Path, authority: Authority) -> None:
    leaf = authority.issue()
    fetcher, clock = Fetcher(), Clock()
    store = CertificateStore([authority.certificate], fetch=fetcher, clock=clock)
    client = _verified(tmp_path, store, clock)
    bad_url = "https://s3.amazonaws.com/echo.api/missing.pem"
    for _ in range(20):
        response = _forged(client, intent("AMAZON.HelpIntent", clock.now), bad_url, leaf)
        _json_error(response.status_code, response.json, 400)
        assert "could not download" in response.json["error"]
    assert fetcher.calls == [bad_url]
    # The failure is remembered only briefly: Amazon's outage must not outlive itself.
    clock.now += timedelta(seconds=61)
    fetcher.chains[bad_url] = leaf.pem()
    response = _forged(client, intent("AMAZON.HelpIntent", clock.now), bad_url, leaf)
    assert response.status_code == 200
    assert fetcher.calls == [bad_url, bad_url]


def test_a_certificate_that_fails_validation_is_not_fetched_again(authority: Authority) -> None:
    stranger = Authority.create("Untrusted Root").issue()
    fetcher, clock = Fetcher({CERT_URL: stranger.pem()}), Clock()
    store = CertificateStore([authority.certificate], fetch=fetcher, clock=clock)
    for _ in range(5):
        with pytest.raises(VerificationError, match="trusted root"):
            store.certificate_for(CERT_URL)
    assert fetcher.calls == [CERT_URL]


def test_the_failure_cache_stays_bounded(authority: Authority) -> None:
    from skill.verification import FAILURE_CACHE_SIZE

    fetcher, clock = Fetcher(), Clock()
    store = CertificateStore([authority.certificate], fetch=fetcher, clock=clock)
    urls = [f"https://s3.amazonaws.com/echo.api/{n}.pem" for n in range(FAILURE_CACHE_SIZE + 1)]
    for url in urls:
        with pytest.raises(VerificationError):
            store.certificate_for(url)
    # The oldest failure was evicted to make room, so it is tried again; the newest is not.
    for url in (urls[0], urls[-1]):
        with pytest.raises(VerificationError):
            store.certificate_for(url)
    assert fetcher.calls == [*urls, urls[0]]


def test_real_downloads_of_a_missing_certificate_happen_once(authority: Authority) -> None:
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from threading import Thread

    hits: list[str] = []

    class Missing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_error(404)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Missing)
    Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/echo.api/cert.pem"
        store = CertificateStore([authority.certificate], timeout=2.0)
        for _ in range(5):
            with pytest.raises(VerificationError, match="could not download"):
                store.certificate_for(url)
        assert hits == ["/echo.api/cert.pem"]
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- every answer is an envelope or a JSON error (the proof for defects 8 and 9) -----------


class Tracebacks(logging.Handler):
    """Collects every log record that carries a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.stack_info:
            self.records.append(record)


@pytest.fixture
def tracebacks() -> Iterator[Tracebacks]:
    handler = Tracebacks()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def fuzz_clients(tmp_path: Path, authority: Authority) -> list[tuple[FlaskClient, Leaf | None]]:
    """A client without verification, and one verifying against the test PKI at NOW."""
    leaf = authority.issue()
    plain = create_app(Settings(database=tmp_path / "plain.sqlite3", verify_requests=False))
    store = CertificateStore([authority.certificate], fetch=Fetcher({CERT_URL: leaf.pem()}))
    return [(plain.test_client(), None), (_verified(tmp_path, store, Clock()), leaf)]


def post_fuzzed(client: FlaskClient, body: bytes, signer: Leaf | None) -> None:
    headers = {"Content-Type": "application/json"}
    if signer is not None:
        headers |= {"SignatureCertChainUrl": CERT_URL, "Signature-256": signer.sign(body)}
    response = client.post("/alexa", data=body, headers=headers)
    check_answer(response.status_code, response.get_data())


def fuzz(client: FlaskClient, signer: Leaf | None, examples: int) -> None:
    @hsettings(max_examples=examples, deadline=None, database=None)
    @given(body=bodies(NOW))
    def run(body: bytes) -> None:
        post_fuzzed(client, body, signer)

    run()


def test_fuzzed_bodies_get_an_envelope_or_a_json_error(
    tmp_path: Path, authority: Authority, tracebacks: Tracebacks
) -> None:
    for client, signer in fuzz_clients(tmp_path, authority):
        fuzz(client, signer, examples=150)
    assert [r.getMessage() for r in tracebacks.records] == []


@pytest.mark.parametrize("request_type", ["IntentRequest", "CanFulfillIntentRequest"])
@pytest.mark.parametrize("bent", [None, "GetRecoveryPlanIntent", {"slots": {}}])
def test_intent_requests_without_an_intent_name_are_400(
    client: FlaskClient, request_type: str, bent: Any
) -> None:
    payload = intent("AMAZON.HelpIntent", datetime.now(UTC))
    payload["request"]["type"] = request_type
    payload["request"]["intent"] = bent
    response = client.post("/alexa", json=payload)
    _json_error(response.status_code, response.json, 400)
    assert "intent name" in response.json["error"]


def test_an_unknown_intent_is_answered_without_a_traceback(
    client: FlaskClient, tracebacks: Tracebacks
) -> None:
    response = client.post("/alexa", json=intent("OrderPizzaIntent", datetime.now(UTC)))
    assert response.status_code == 200
    assert [record.getMessage() for record in tracebacks.records] == []
