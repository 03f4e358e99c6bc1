"""RDF Dataset Canonicalization (RDFC-1.0, pyld's URDNA2015) of a JSON-LD document, in safe
mode: a property that expansion would silently drop, or a relative IRI that RDF conversion
would silently drop, is an error, because a dropped statement is an unsigned statement."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from extender.credentials.vc.contexts import UnknownContextError, document_loader, unknown_error_in
from extender.errors import InvalidInput

_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_CACHE: LRUCache[Any, Any] = LRUCache(maxsize=256)
Loader = Callable[[str, dict[str, Any] | None], dict[str, Any]]


class CanonicalizationError(InvalidInput):
    """The document cannot be canonicalized without losing or inventing statements."""


def _loader_with(extra: Mapping[str, dict[str, Any]] | None) -> Loader:
    if not extra:
        return document_loader

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url in extra:
            return {"contextUrl": None, "documentUrl": url, "document": extra[url]}
        return document_loader(url, options)

    return load


def _relative_iris(node: Any, found: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _relative_iris(item, found)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@id" and isinstance(value, str):
            if not (value.startswith("_:") or _ABSOLUTE_IRI.match(value)):
                found.append(value)
        elif key == "@type" and "@value" not in node:
            for type_iri in value if isinstance(value, list) else [value]:
                if isinstance(type_iri, str) and not _ABSOLUTE_IRI.match(type_iri):
                    found.append(type_iri)
        elif key != "@value":
            _relative_iris(value, found)


def expand_strict(
    document: dict[str, Any], extra_contexts: Mapping[str, dict[str, Any]] | None = None
) -> list[Any]:
    loader = _loader_with(extra_contexts)
    dropped: list[str] = []

    def on_dropped(expanded_property: str | None) -> None:
        dropped.append(str(expanded_property))

    cache = _CACHE if not extra_contexts else LRUCache(maxsize=16)
    options = {
        "documentLoader": loader,
        "contextResolver": ContextResolver(cache, loader),
        # None, not "": pyld resolves relative IRIs against http://example.org/base/ when the
        # base is "", which would invent statements other processors drop.
        "base": None,
    }
    try:
        processor = jsonld.JsonLdProcessor(on_property_dropped=on_dropped)
        expanded: list[Any] = processor.expand(document, options)
    except jsonld.JsonLdError as exc:
        unknown = unknown_error_in(exc)
        if unknown is not None:
            raise UnknownContextError(unknown.url) from exc
        raise CanonicalizationError(f"JSON-LD expansion failed: {exc.args[0]}") from exc
    if dropped:
        names = ", ".join(sorted(set(dropped)))
        raise CanonicalizationError(
            f"undefined term(s) {names}: not defined by the document's contexts, so they "
            "would not be covered by the proof"
        )
    relative: list[str] = []
    _relative_iris(expanded, relative)
    if relative:
        raise CanonicalizationError(
            f"relative IRI(s) {', '.join(sorted(set(relative)))}: identifiers and types must "
            "be absolute IRIs"
        )
    return expanded


def canonicalize(
    document: dict[str, Any], extra_contexts: Mapping[str, dict[str, Any]] | None = None
) -> str:
    """Canonical N-Quads of the document (RDFC-1.0)."""
    expanded = expand_strict(document, extra_contexts)
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": _loader_with(extra_contexts),
    }
    try:
        nquads: str = jsonld.normalize(expanded, options)
    except jsonld.JsonLdError as exc:
        raise CanonicalizationError(f"RDF canonicalization failed: {exc.args[0]}") from exc
    return nquads
