"""Verify that a request really comes from Alexa, by Amazon's rules for web-service skills."""

from __future__ import annotations

import base64
import binascii
import logging
import posixpath
import ssl
import threading
import urllib.error
import urllib.request
import warnings
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import verification as x509v

from skill.errors import VerificationError

CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
ECHO_API_NAME = "echo-api.amazon.com"
MAX_TIMESTAMP_SKEW = timedelta(seconds=150)
MAX_CERT_BYTES = 64 * 1024
CERT_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
# A URL whose certificate could not be had is not tried again for this long, so a flood of
# forged requests naming it costs one download; short, so an outage at Amazon heals quickly.
FAILURE_TTL = timedelta(seconds=60)
# Forgers choose the URLs: remember only so many failures, dropping the oldest.
FAILURE_CACHE_SIZE = 1024
# Downloads of the same URL wait for each other instead of racing; a few striped locks bound
# the memory that takes whatever URLs arrive.
DOWNLOAD_LOCKS = 16

Clock = Callable[[], datetime]
Fetcher = Callable[[str, float], bytes]

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """Return the current time, timezone-aware."""
    return datetime.now(UTC)


def check_cert_url(url: str) -> None:
    """Apply Amazon's rules to a SignatureCertChainUrl, raising on the first broken one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise VerificationError("certificate URL is malformed") from exc
    if parts.scheme.lower() != "https":
        raise VerificationError("certificate URL must use https")
    if (parts.hostname or "").lower() != CERT_HOST or parts.username or parts.password:
        raise VerificationError(f"certificate URL host must be {CERT_HOST}")
    if port not in (None, 443):
        raise VerificationError("certificate URL port must be 443")
    path = posixpath.normpath(parts.path) if parts.path else ""
    if not path.startswith(CERT_PATH_PREFIX):
        raise VerificationError(f"certificate URL path must start with {CERT_PATH_PREFIX}")


def download(url: str, timeout: float) -> bytes:
    """Fetch a certificate chain over HTTPS, bounded in time and size."""
    context = ssl.create_default_context()
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            body: bytes = response.read(MAX_CERT_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise VerificationError("could not download the signing certificate") from exc
    if len(body) > MAX_CERT_BYTES:
        raise VerificationError("signing certificate chain is too large")
    return body


def system_trust_roots() -> tuple[x509.Certificate, ...]:
    """Load the trusted root certificates from the system store."""
    paths = ssl.get_default_verify_paths()
    candidates = [paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return _load_bundle(Path(candidate).read_bytes())
    raise VerificationError("no system trust store found for certificate validation")


@dataclass(frozen=True)
class _CachedCertificate:
    certificate: x509.Certificate
    expires: datetime


@dataclass(frozen=True)
class _CachedFailure:
    reason: str
    expires: datetime


class CertificateStore:
    """Download, validate and cache Alexa's signing certificates until they expire."""

    def __init__(
        self,
        trust_roots: Sequence[x509.Certificate] | None = None,
        *,
        fetch: Fetcher = download,
        timeout: float = 5.0,
        clock: Clock = utc_now,
    ) -> None:
        self._roots = tuple(trust_roots) if trust_roots is not None else None
        self._fetch = fetch
        self._timeout = timeout
        self._clock = clock
        self._cache: dict[str, _CachedCertificate] = {}
        self._failures: OrderedDict[str, _CachedFailure] = OrderedDict()
        self._lock = threading.Lock()
        self._download_locks = tuple(threading.Lock() for _ in range(DOWNLOAD_LOCKS))

    def certificate_for(self, url: str) -> x509.Certificate:
        """Return the validated signing certificate behind `url`."""
        cached = self._cached(url, self._clock())
        if cached is not None:
            return cached
        with self._downloading(url):
            # Another request may have fetched it, or failed to, while this one waited.
            now = self._clock()
            cached = self._cached(url, now)
            if cached is not None:
                return cached
            try:
                certificate = self._validate(self._fetch(url, self._timeout), now)
            except VerificationError as exc:
                self._remember_failure(url, str(exc), now)
                raise
            with self._lock:
                self._cache[url] = _CachedCertificate(certificate, certificate.not_valid_after_utc)
            return certificate

    def _cached(self, url: str, now: datetime) -> x509.Certificate | None:
        """Return a still-valid certificate, raise a still-fresh failure, else None."""
        with self._lock:
            cached = self._cache.get(url)
            failure = self._failures.get(url)
            if failure is not None and now >= failure.expires:
                del self._failures[url]
                failure = None
        if cached is not None and now < cached.expires:
            return cached.certificate
        if failure is not None:
            raise VerificationError(failure.reason)
        return None

    def _remember_failure(self, url: str, reason: str, now: datetime) -> None:
        with self._lock:
            self._failures.pop(url, None)
            self._failures[url] = _CachedFailure(reason, now + FAILURE_TTL)
            while len(self._failures) > FAILURE_CACHE_SIZE:
                self._failures.popitem(last=False)

    @contextmanager
    def _downloading(self, url: str) -> Iterator[None]:
        with self._download_locks[zlib.crc32(url.encode()) % DOWNLOAD_LOCKS]:
            yield

    def _validate(self, pem: bytes, now: datetime) -> x509.Certificate:
        try:
            chain = x509.load_pem_x509_certificates(pem)
        except ValueError as exc:
            raise VerificationError("signing certificate is not valid PEM") from exc
        leaf, intermediates = chain[0], chain[1:]
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise VerificationError("signing certificate is expired or not yet valid")
        if ECHO_API_NAME not in _dns_names(leaf):
            raise VerificationError(f"signing certificate is not issued to {ECHO_API_NAME}")
        if not isinstance(leaf.public_key(), rsa.RSAPublicKey):
            raise VerificationError("signing certificate does not hold an RSA key")
        if self._roots is None:
            self._roots = system_trust_roots()
        verifier = (
            x509v.PolicyBuilder()
            .store(x509v.Store(list(self._roots)))
            .time(now)
            .build_server_verifier(x509.DNSName(ECHO_API_NAME))
        )
        try:
            verifier.verify(leaf, intermediates)
        except x509v.VerificationError as exc:
            raise VerificationError("signing certificate does not chain to a trusted root") from exc
        return leaf


class RequestVerifier:
    """Check a request's signature, certificate and timestamp as Amazon requires."""

    def __init__(self, certificates: CertificateStore, *, clock: Clock = utc_now) -> None:
        self._certificates = certificates
        self._clock = clock

    def verify(self, headers: Mapping[str, str], body: bytes, payload: Mapping[str, Any]) -> None:
        """Raise VerificationError unless the request is signed by Alexa and fresh."""
        # HTTP header names are case-insensitive.
        lowered = {key.lower(): value for key, value in headers.items()}
        url = lowered.get(CERT_URL_HEADER.lower())
        signature_b64 = lowered.get(SIGNATURE_HEADER.lower())
        if not url:
            raise VerificationError(f"missing {CERT_URL_HEADER} header")
        if not signature_b64:
            raise VerificationError(f"missing {SIGNATURE_HEADER} header")
        check_cert_url(url)
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VerificationError("signature is not valid base64") from exc
        # Cheap checks first: a forged or replayed request must not cost a download. The
        # timestamp is only trusted once the signature checks out, which happens below.
        check_timestamp(payload, self._clock())
        certificate = self._certificates.certificate_for(url)
        public_key = certificate.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)  # checked when the certificate was cached
        try:
            public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise VerificationError("signature does not match the request body") from exc


def check_timestamp(payload: Mapping[str, Any], now: datetime) -> None:
    """Reject a request whose timestamp is more than 150 s away from now."""
    request = payload.get("request")
    raw = request.get("timestamp") if isinstance(request, Mapping) else None
    if not isinstance(raw, str):
        raise VerificationError("request has no timestamp")
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise VerificationError("request timestamp is malformed") from exc
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    if abs(now - stamp) > MAX_TIMESTAMP_SKEW:
        raise VerificationError("request timestamp is more than 150 seconds from now")


def _load_bundle(pem: bytes) -> tuple[x509.Certificate, ...]:
    # One malformed root (some stores carry legacy ones) must not disable every other root.
    roots = []
    for block in pem.split(b"-----END CERTIFICATE-----")[:-1]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                roots.append(x509.load_pem_x509_certificate(block + b"-----END CERTIFICATE-----\n"))
            except ValueError:
                log.debug("skipping an unreadable root certificate")
    return tuple(roots)


def _dns_names(certificate: x509.Certificate) -> list[str]:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in san.value.get_values_for_type(x509.DNSName)]
