"""Another issuer's public keys and status lists, fetched over HTTP for the CLI's online
verification (``extender credentials verify FILE`` of a credential this deployment did not
issue). The web application never calls this: the verify API and the public pages make no
outbound requests.

Keys come only from the issuer's own did:web document (``/.well-known/did.json`` on the host
the DID names; plain http only for a loopback host), so a credential cannot point the verifier
at keys of its choosing. Fetches have a short timeout, follow no redirects and stop at a size
limit; any failure becomes a reason in the report, never an exception.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from extender.credentials.vc.did import LOOPBACK_HOSTS, did_web_url, keys_from_did_document
from extender.credentials.vc.keys import IssuerKey
from extender.errors import InvalidInput

FETCH_TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
Fetcher = Callable[[str], str]


class FetchError(InvalidInput):
    """A document that could not be fetched (offline, refused, not found, too large)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx then surfaces as an HTTPError: we only read the named URL


def check_url(url: str) -> None:
    """https anywhere; http only to a loopback host (a development deployment)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchError(f"{url!r} is not an absolute http(s) URL")
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return
    raise FetchError(f"refusing to fetch {url}: only https (or http to localhost) is used")


def fetch_text(url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> str:
    check_url(url)
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Accept": "application/json, */*;q=0.5"})
    try:
        with opener.open(request, timeout=timeout) as response:
            body: bytes = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"could not fetch {url}: HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"could not fetch {url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
        raise FetchError(f"could not fetch {url}: {exc or type(exc).__name__}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise FetchError(f"{url} answered more than {MAX_RESPONSE_BYTES} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise FetchError(f"{url} did not answer UTF-8 text") from None


class RemoteIssuer:
    """Resolvers for ``verify()`` backed by one issuer's published documents. ``problem``
    says why its keys could not be had, for the report."""

    def __init__(self, did: str, fetch: Fetcher = fetch_text) -> None:
        self.did = did
        self.fetch = fetch
        self.problem: str | None = None
        self._keys: dict[str, IssuerKey] | None = None

    def _load_keys(self) -> dict[str, IssuerKey]:
        try:
            url = did_web_url(self.did)
            document = json.loads(self.fetch(url))
            if not isinstance(document, dict) or document.get("id") != self.did:
                raise FetchError(f"the DID document at {url} is not the document of {self.did}")
            return keys_from_did_document(document)
        except InvalidInput as exc:
            self.problem = f"issuer keys unavailable: {exc.message}"
        except ValueError as exc:
            self.problem = f"issuer keys unavailable: the DID document is not JSON ({exc})"
        return {}

    def resolve_key(self, verification_method: str) -> IssuerKey | None:
        if not verification_method.startswith(self.did + "#"):
            return None
        if self._keys is None:
            self._keys = self._load_keys()
        return self._keys.get(verification_method)

    def resolve_status_list(self, url: str) -> dict[str, Any] | str | None:
        """The list credential (JSON-LD) or its JWT; raises FetchError with the reason."""
        text = self.fetch(url).strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError:
                raise FetchError(f"{url} answered malformed JSON") from None
            return value if isinstance(value, dict) else None
        return text
