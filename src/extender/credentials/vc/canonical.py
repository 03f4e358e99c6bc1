"""RDF Dataset Canonicalization (RDFC-1.0, pyld's URDNA2015) of a JSON-LD document, in safe
mode: a property that expansion would silently drop, or a relative IRI that RDF conversion
would silently drop, is an error, because a dropped statement is an unsigned statement.

Canonicalization is also bounded. Blank nodes that look alike (the same first-degree hash)
are told apart by the Hash N-Degree Quads algorithm, whose work grows exponentially on
"poison" graphs (RDFC-1.0, section 4.1 "Dataset Poisoning"): a few kilobytes of blank nodes
that all point at each other would take minutes. The work is counted and the
canonicalization refused, with a reason, once it exceeds a budget proportional to the number
of blank nodes. Real credentials, status lists and transcripts use a small fraction of it."""

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

# Work units (calls of Hash N-Degree Quads and of Hash Related Blank Node) allowed per
# canonicalization: a base, plus so many per blank-node occurrence in the dataset, capped.
# A transcript of 40 credentials of the same achievement needs about 1.2 units per occurrence.
WORK_BASE = 1_000
WORK_PER_BLANK_NODE = 2
WORK_CAP = 50_000


class CanonicalizationError(InvalidInput):
    """The document cannot be canonicalized without losing or inventing statements."""


class CanonicalizationLimitError(CanonicalizationError):
    """The document's blank nodes would take too much work to canonicalize."""


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


def _blank_node_occurrences(dataset: dict[str, list[dict[str, Any]]]) -> int:
    count = 0
    for graph_name, triples in dataset.items():
        named_by_blank_node = graph_name.startswith("_:")
        for triple in triples:
            count += named_by_blank_node
            count += sum(
                triple[position]["type"] == "blank node" for position in ("subject", "object")
            )
    return count


def _bounded_urdna2015(dataset: dict[str, list[dict[str, Any]]]) -> Any:
    """pyld's URDNA2015, counting its deep-comparison work and refusing past the budget."""
    occurrences = _blank_node_occurrences(dataset)
    budget = min(WORK_CAP, WORK_BASE + WORK_PER_BLANK_NODE * occurrences)
    spent = 0
    algorithm = jsonld.URDNA2015()
    hash_n_degree_quads = algorithm.hash_n_degree_quads
    hash_related_blank_node = algorithm.hash_related_blank_node

    def charge() -> None:
        nonlocal spent
        spent += 1
        if spent > budget:
            raise CanonicalizationLimitError(
                f"the document's blank nodes are too alike and too interlinked to canonicalize "
                f"within {budget} steps: give every node an absolute IRI id, or fewer "
                "look-alike nodes"
            )

    def counted_n_degree(*args: Any) -> Any:
        charge()
        return hash_n_degree_quads(*args)

    def counted_related(*args: Any) -> Any:
        charge()
        return hash_related_blank_node(*args)

    # Instance attributes win over the class's methods, including for the recursive calls.
    algorithm.hash_n_degree_quads = counted_n_degree
    algorithm.hash_related_blank_node = counted_related
    return algorithm


def canonicalize(
    document: dict[str, Any], extra_contexts: Mapping[str, dict[str, Any]] | None = None
) -> str:
    """Canonical N-Quads of the document (RDFC-1.0), within the work budget."""
    expanded = expand_strict(document, extra_contexts)
    loader = _loader_with(extra_contexts)
    # What jsonld.normalize does, with our bounded URDNA2015 in place of its own.
    rdf_options = {
        "base": "",
        "documentLoader": loader,
        "contextResolver": ContextResolver(LRUCache(maxsize=16), loader),
        "extractAllScripts": True,
        "processingMode": "json-ld-1.1",
        "produceGeneralizedRdf": False,
    }
    try:
        dataset = jsonld.JsonLdProcessor().to_rdf(expanded, rdf_options)
        nquads: str = _bounded_urdna2015(dataset).main(
            dataset, {"algorithm": "URDNA2015", "format": "application/n-quads"}
        )
    except jsonld.JsonLdError as exc:
        raise CanonicalizationError(f"RDF canonicalization failed: {exc.args[0]}") from exc
    except RecursionError:
        raise CanonicalizationLimitError(
            "the document's blank nodes are nested too deeply to canonicalize"
        ) from None
    return nquads
