"""The only JSON-LD contexts Extender will process, loaded from files shipped in the package.

Signing and verifying must never depend on the network: a context served from a URL could
change the meaning of a signed document under our feet."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from extender.errors import InvalidInput

CONTEXT_PACKAGE = "extender.credentials.vc"


class UnknownContextError(InvalidInput):
    """A context URL that Extender does not ship."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"unknown JSON-LD context {url!r}: only the contexts shipped with Extender "
            f"are processed ({', '.join(sorted(known_contexts()))})"
        )
        self.url = url


@cache
def _index() -> dict[str, str]:
    text = resources.files(CONTEXT_PACKAGE).joinpath("contexts/index.json").read_text("utf-8")
    index: dict[str, str] = json.loads(text)
    return index


@cache
def _load(url: str) -> dict[str, Any]:
    name = _index()[url]
    text = resources.files(CONTEXT_PACKAGE).joinpath(f"contexts/{name}").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def known_contexts() -> frozenset[str]:
    return frozenset(_index())


def context_document(url: str) -> dict[str, Any]:
    """A private copy of the shipped context document for `url`."""
    if url not in _index():
        raise UnknownContextError(url)
    return copy.deepcopy(_load(url))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader: serves the shipped files, raises UnknownContextError otherwise."""
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": context_document(url),
    }


def unknown_error_in(exc: BaseException) -> UnknownContextError | None:
    """The UnknownContextError behind a pyld error, if that is what failed."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, UnknownContextError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
