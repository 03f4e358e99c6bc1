"""Read a QTI 3.0 content package back into exam items.

A package is untrusted input from another platform. It is checked completely and every problem
is reported at once, with file, element and line, so an author can repair it in one pass; and
nothing at all is imported from a package with any problem, so a bank never holds half an
import. XML is parsed with expat directly rather than through ElementTree's parser, because only
expat's own hooks can refuse DTDs, and DTDs are how entity-expansion attacks get in.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree as ET
from xml.parsers import expat

from extender.assessment.qti_export import (
    ASI_NS,
    ATTR_AUTHOR,
    ATTR_CONTENT,
    ATTR_ENEMIES,
    ATTR_EXHIBIT,
    ATTR_OBJECTIVE,
    ATTR_REFERENCE,
    ATTR_TITLE,
    ATTR_TRACK,
    ATTR_TYPE,
    CLASS_EXHIBIT,
    CLASS_ITEM,
    CLASS_RATIONALE,
    CLASS_STEM,
    CP_NS,
    EXHIBIT_KINDS,
    ITEM_RESOURCE,
    ITEM_TYPES,
    LOM_NS,
    MANIFEST_FILE,
    TEST_RESOURCE,
    TRACK_CATALOG,
    TYPE_SHAPES,
    Item,
    is_identifier,
    item_problems,
)
from extender.errors import InvalidInput

PACKAGE = "(package)"
CP_NAMESPACES = (CP_NS, "http://www.imsglobal.org/xsd/imscp_v1p1")
MAX_MEMBERS = 100_000
MAX_MEMBER_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 200


@dataclass(frozen=True)
class QtiProblem:
    """One thing wrong with a package, located so an author can find it in their own tool."""

    file: str
    element: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file} {self.element}".strip()
        if self.line is not None:
            where += f" (line {self.line})"
        return f"{where}: {self.message}"


class QtiImportError(InvalidInput):
    """Carries every problem, not just the first: fixing a package one error per upload is
    the experience this import exists to avoid."""

    def __init__(self, problems: Sequence[QtiProblem]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"- {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(f"the QTI package was not imported; {count} problem(s) to fix:\n{listing}")


@dataclass(frozen=True)
class QtiPackage:
    track: str | None
    title: str | None
    items: list[Item]


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def namespace(tag: str) -> str:
    return tag[1 : tag.index("}")] if tag.startswith("{") else ""


def describe(tag: str) -> str:
    ns = namespace(tag)
    return f"{local_name(tag)} in namespace {ns}" if ns else f"{local_name(tag)} (no namespace)"


@dataclass
class Document:
    """A parsed file that can say where any of its elements is: a path and the source line."""

    file: str
    root: ET.Element
    lines: dict[int, int]
    parents: dict[int, ET.Element] = field(init=False)

    def __post_init__(self) -> None:
        self.parents = {id(child): parent for parent in self.root.iter() for child in parent}

    def locate(self, element: ET.Element) -> str:
        steps: list[str] = []
        node: ET.Element | None = element
        while node is not None:
            parent = self.parents.get(id(node))
            step = local_name(node.tag)
            if parent is not None:
                same = [c for c in parent if c.tag == node.tag]
                if len(same) > 1:
                    step += f"[{next(n for n, c in enumerate(same, 1) if c is node)}]"
            steps.append(step)
            node = parent
        return "/".join(reversed(steps))

    def problem(self, element: ET.Element, message: str, *, child: str = "") -> QtiProblem:
        """``child`` names what is missing under ``element`` (a tag, or ``@attribute``)."""
        where = self.locate(element) + (f"/{child}" if child else "")
        return QtiProblem(self.file, where, message, self.lines.get(id(element)))


class _Refused(Exception):
    pass


def parse_xml(file: str, data: bytes) -> Document | QtiProblem:
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    lines: dict[int, int] = {}
    depth = 0

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _Refused(f"elements nest deeper than {MAX_DEPTH} levels")
        element = builder.start(name(tag), {name(k): v for k, v in attrs.items()})
        lines[id(element)] = parser.CurrentLineNumber

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(name(tag))

    def refuse_doctype(*_: object) -> None:
        raise _Refused("a DOCTYPE declaration is refused: DTDs allow entity-expansion attacks")

    def refuse_entity(*_: object) -> None:
        raise _Refused("an ENTITY declaration is refused: entities allow expansion attacks")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        where = f"line {exc.lineno}, column {exc.offset + 1}"
        message = f"XML is not well-formed: {expat.ErrorString(exc.code)} ({where})"
        return QtiProblem(file, "(document)", message, exc.lineno)
    except _Refused as exc:
        return QtiProblem(file, "(document)", str(exc), parser.CurrentLineNumber)
    return Document(file, builder.close(), lines)


class _Archive:
    """Zip members read with size limits, because a small zip can inflate to gigabytes."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.members = {i.filename: i for i in archive.infolist() if not i.is_dir()}
        self.total = 0

    def read(self, name: str, problems: list[QtiProblem]) -> bytes | None:
        try:
            with self.archive.open(self.members[name]) as stream:
                data = stream.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, NotImplementedError) as exc:
            problems.append(QtiProblem(name, "(file)", f"cannot be read from the zip: {exc}"))
            return None
        self.total += len(data)
        if len(data) > MAX_MEMBER_BYTES or self.total > MAX_TOTAL_BYTES:
            limits = f"{MAX_MEMBER_BYTES >> 20} MiB a file, {MAX_TOTAL_BYTES >> 20} MiB in all"
            problems.append(QtiProblem(name, "(file)", f"the package exceeds {limits}"))
            return None
        return data

    def parse(self, name: str, problems: list[QtiProblem]) -> Document | None:
        data = self.read(name, problems)
        if data is None:
            return None
        parsed = parse_xml(name, data)
        if isinstance(parsed, QtiProblem):
            problems.append(parsed)
            return None
        return parsed


def _open_archive(data: bytes, problems: list[QtiProblem]) -> _Archive | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        problems.append(QtiProblem(PACKAGE, "(zip)", "is not a zip archive"))
        return None
    if len(archive.infolist()) > MAX_MEMBERS:
        problems.append(QtiProblem(PACKAGE, "(zip)", f"holds more than {MAX_MEMBERS} files"))
        return None
    return _Archive(archive)


def resolve(base_file: str, href: str) -> str | None:
    """The zip member an href names, relative to the file it appears in; None when it leaves
    the package (a URL, an absolute path, or ``..`` past the root)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith("/"):
        return None
    joined = posixpath.join(posixpath.dirname(base_file), unquote(parts.path))
    path = posixpath.normpath(joined)
    return None if path in (".", "..") or path.startswith("../") else path


@dataclass
class _Manifest:
    items: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    track: str | None = None
    title: str | None = None


def _read_manifest(archive: _Archive, problems: list[QtiProblem]) -> _Manifest | None:
    if MANIFEST_FILE not in archive.members:
        message = "the package has no imsmanifest.xml at its root"
        problems.append(QtiProblem(MANIFEST_FILE, "(file)", message))
        return None
    doc = archive.parse(MANIFEST_FILE, problems)
    if doc is None:
        return None
    root = doc.root
    ns = namespace(root.tag)
    if local_name(root.tag) != "manifest" or ns not in CP_NAMESPACES:
        expected = f"manifest in namespace {CP_NS}"
        problems.append(
            doc.problem(root, f"root element is {describe(root.tag)}; expected {expected}")
        )
        return None
    manifest = _Manifest()
    _read_lom(root.find(f"{{{ns}}}metadata"), manifest)
    resources = root.findall(f"{{{ns}}}resources/{{{ns}}}resource")
    known = Counter(r.get("identifier") for r in resources)
    for resource in resources:
        _read_resource(doc, archive, resource, known, manifest, problems)
    if not manifest.items:
        message = f"lists no QTI 3.0 items (resources of type {ITEM_RESOURCE})"
        problems.append(doc.problem(root, message, child="resources"))
    return manifest


def _read_lom(metadata: ET.Element | None, manifest: _Manifest) -> None:
    if metadata is None:
        return
    lom = f"{{{LOM_NS}}}"
    for identifier in metadata.iter(f"{lom}identifier"):
        if (identifier.findtext(f"{lom}catalog") or "").strip() == TRACK_CATALOG:
            manifest.track = identifier.findtext(f"{lom}entry")
    manifest.title = metadata.findtext(f"{lom}lom/{lom}general/{lom}title/{lom}string")


def _read_resource(
    doc: Document,
    archive: _Archive,
    resource: ET.Element,
    known: Counter[str | None],
    manifest: _Manifest,
    problems: list[QtiProblem],
) -> None:
    ns = namespace(resource.tag)
    identifier = resource.get("identifier")
    if not identifier:
        problems.append(
            doc.problem(resource, "a resource needs an identifier", child="@identifier")
        )
    elif known[identifier] > 1:
        problems.append(doc.problem(resource, f"resource identifier {identifier!r} repeats"))
    for entry in resource.findall(f"{{{ns}}}file"):
        href = entry.get("href") or ""
        path = resolve(MANIFEST_FILE, href)
        if path is None or path not in archive.members:
            message = f"references {href!r}, which is not a file in the package"
            problems.append(doc.problem(entry, message, child="@href"))
    for dependency in resource.findall(f"{{{ns}}}dependency"):
        target = dependency.get("identifierref")
        if target not in known:
            message = f"depends on resource {target!r}, which the manifest does not list"
            problems.append(doc.problem(dependency, message))
    kind = resource.get("type", "")
    if kind not in (ITEM_RESOURCE, TEST_RESOURCE):
        if kind.startswith("imsqti_") and not kind.endswith("v3p0"):
            message = f"resource type {kind} is not QTI 3.0, which is the only version read"
            problems.append(doc.problem(resource, message, child="@type"))
        return
    href = resource.get("href") or ""
    path = resolve(MANIFEST_FILE, href)
    if path is None or path not in archive.members:
        message = f"references {href!r}, which is not a file in the package"
        problems.append(doc.problem(resource, message, child="@href"))
        return
    listed = manifest.items if kind == ITEM_RESOURCE else manifest.tests
    if path not in listed:
        listed.append(path)


def _read_test(
    archive: _Archive, path: str, items: set[str], problems: list[QtiProblem]
) -> str | None:
    doc = archive.parse(path, problems)
    if doc is None:
        return None
    root = doc.root
    if root.tag != f"{{{ASI_NS}}}qti-assessment-test":
        expected = f"qti-assessment-test in namespace {ASI_NS}"
        problems.append(
            doc.problem(root, f"root element is {describe(root.tag)}; expected {expected}")
        )
        return None
    if not root.get("identifier"):
        problems.append(doc.problem(root, "has no identifier", child="@identifier"))
    for ref in root.iter(f"{{{ASI_NS}}}qti-assessment-item-ref"):
        href = ref.get("href") or ""
        if resolve(path, href) not in items:
            message = f"refers to {href!r}, which is not an item listed in the manifest"
            problems.append(doc.problem(ref, message, child="@href"))
    return root.get("title")


SUPPORTED_INTERACTIONS = ("qti-choice-interaction", "qti-order-interaction")
# Parts of QTI that would make an item depend on something outside its file, or vary per
# delivery; importing the rest of such an item would silently change what candidates see.
UNSUPPORTED_PARTS = ("qti-assessment-stimulus-ref", "qti-template-declaration")
NOT_STEM = frozenset(
    {"qti-rubric-block", "qti-feedback-block", "qti-feedback-inline", "qti-modal-feedback"}
)
BLOCK_TAGS = frozenset(
    {
        *("p", "div", "pre", "blockquote", "section", "figure", "figcaption", "br", "hr"),
        *("ul", "ol", "li", "dl", "dt", "dd", "table", "caption", "tr"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "qti-prompt", "qti-content-body"),
    }
)


def _q(tag: str) -> str:
    return f"{{{ASI_NS}}}{tag}"


def _find_class(root: ET.Element, name: str) -> ET.Element | None:
    return next((e for e in root.iter() if name in (e.get("class") or "").split()), None)


def _is_interaction(element: ET.Element) -> bool:
    tag = local_name(element.tag)
    in_qti = namespace(element.tag) == ASI_NS
    return in_qti and tag.startswith("qti-") and tag.endswith("-interaction")


def _is_feedback(element: ET.Element) -> bool:
    return local_name(element.tag) in NOT_STEM


def plain_text(element: ET.Element, skip: Callable[[ET.Element], bool] = _is_feedback) -> str:
    """Readable text of XHTML written by another tool: a paragraph per block element and
    whitespace collapsed inside it, as a browser shows it, so Markdown renders it the same."""
    chunks: list[str] = []

    def walk(node: ET.Element) -> None:
        block = "\0" if local_name(node.tag) in BLOCK_TAGS else ""
        chunks.extend((block, node.text or ""))
        for child in node:
            if not skip(child):
                walk(child)
            chunks.append(child.tail or "")
        chunks.append(block)

    walk(element)
    paragraphs = (" ".join(p.split()) for p in "".join(chunks).split("\0"))
    return "\n\n".join(p for p in paragraphs if p)


def exact_text(element: ET.Element) -> str:
    return "".join(element.itertext())


class _ItemReader:
    """One item file to one item. Problems accumulate instead of stopping the read, and the
    item is returned only when its file added none."""

    def __init__(self, doc: Document, problems: list[QtiProblem], require_objective: bool):
        self.doc = doc
        self.problems = problems
        self.require_objective = require_objective
        self.start = len(problems)

    def report(self, element: ET.Element, message: str, child: str = "") -> None:
        self.problems.append(self.doc.problem(element, message, child=child))

    def read(self) -> tuple[Item | None, str | None]:
        root = self.doc.root
        if root.tag != _q("qti-assessment-item"):
            expected = f"qti-assessment-item in namespace {ASI_NS}"
            self.report(root, f"root element is {describe(root.tag)}; expected {expected}")
            return None, None
        identifier = root.get("identifier") or ""
        if not is_identifier(identifier):
            message = f"item identifier {identifier!r} is missing or not a QTI identifier"
            self.report(root, message, "@identifier")
        for tag in UNSUPPORTED_PARTS:
            for part in root.iter(_q(tag)):
                self.report(part, f"{tag} is not supported: items must be self-contained")
        body = root.find(_q("qti-item-body"))
        if body is None:
            self.report(root, "has no item body", "qti-item-body")
            return None, None
        interaction = self._interaction(body)
        if interaction is None:
            return None, None
        wrapper = _find_class(body, CLASS_ITEM)
        choices = self._choices(interaction, exact=wrapper is not None)
        key, cardinality = self._key(root, interaction, [c["id"] for c in choices])
        item: Item = {"id": identifier, "objective": "", "type": ""}
        item["type"] = self._type(wrapper, interaction, cardinality)
        item["stem"] = self._stem(body, interaction, wrapper is not None)
        exhibit = self._exhibit(body)
        if exhibit is not None:
            item["exhibit"] = exhibit
        item.update(options=choices, key=key, rationale=self._rationale(root))
        item.update(reference="", author="", enemies=[])
        track = self._extender_fields(wrapper, item) if wrapper is not None else None
        if self.require_objective and not item["objective"]:
            self.report(
                root if wrapper is None else wrapper,
                "has no objective, and this import requires one",
            )
        if len(self.problems) == self.start:
            for name, message in item_problems(item):
                self.report(root, f"{name}: {message}")
        return (item if len(self.problems) == self.start else None), track

    def _interaction(self, body: ET.Element) -> ET.Element | None:
        found = [e for e in body.iter() if _is_interaction(e)]
        unsupported = [e for e in found if local_name(e.tag) not in SUPPORTED_INTERACTIONS]
        for element in unsupported:
            readable = " and ".join(SUPPORTED_INTERACTIONS)
            message = f"unsupported interaction type {local_name(element.tag)}; only {readable}"
            self.report(element, message + " are imported")
        if not found:
            self.report(body, "has no interaction; an item has exactly one")
        elif len(found) > 1:
            self.report(found[1], "is a second interaction; an item has exactly one")
        return found[0] if len(found) == 1 and not unsupported else None

    def _choices(self, interaction: ET.Element, *, exact: bool) -> list[dict[str, str]]:
        elements = interaction.findall(_q("qti-simple-choice"))
        if len(elements) < 2:
            self.report(interaction, f"has {len(elements)} choice(s); an item needs at least 2")
        choices: list[dict[str, str]] = []
        for choice in elements:
            identifier = choice.get("identifier") or ""
            text = exact_text(choice) if exact else plain_text(choice)
            if not is_identifier(identifier):
                message = f"choice identifier {identifier!r} is missing or not a QTI identifier"
                self.report(choice, message, "@identifier")
            elif identifier in [c["id"] for c in choices]:
                self.report(choice, f"choice identifier {identifier!r} repeats", "@identifier")
            elif not text.strip():
                self.report(choice, "has no text (images and other media are not imported)")
            else:
                choices.append({"id": identifier, "text": text})
        return choices

    def _key(
        self, root: ET.Element, interaction: ET.Element, choice_ids: list[str]
    ) -> tuple[list[str], str | None]:
        response = interaction.get("response-identifier")
        declarations = root.findall(_q("qti-response-declaration"))
        declaration = next((d for d in declarations if d.get("identifier") == response), None)
        if declaration is None:
            message = f"has no qti-response-declaration for the interaction's {response!r}"
            self.report(root, message, "qti-response-declaration")
            return [], None
        if declaration.get("base-type") != "identifier":
            self.report(declaration, "base-type must be identifier for choices", "@base-type")
        cardinality = declaration.get("cardinality") or ""
        tag = local_name(interaction.tag)
        fits = ("ordered",) if tag == "qti-order-interaction" else ("single", "multiple")
        if cardinality not in fits:
            message = f"cardinality {cardinality!r} does not fit a {tag} ({' or '.join(fits)})"
            self.report(declaration, message, "@cardinality")
            return [], None
        correct = declaration.find(_q("qti-correct-response"))
        if correct is None:
            message = "has no correct response, so the item would have no key"
            self.report(declaration, message, "qti-correct-response")
            return [], cardinality
        key = [(value.text or "").strip() for value in correct.findall(_q("qti-value"))]
        self._check_key(correct, interaction, key, choice_ids, cardinality)
        return key, cardinality

    def _check_key(
        self,
        correct: ET.Element,
        interaction: ET.Element,
        key: list[str],
        choice_ids: list[str],
        cardinality: str,
    ) -> None:
        for value in key:
            if value not in choice_ids:
                self.report(correct, f"names {value!r}, which is not a choice of the interaction")
        if len(set(key)) != len(key):
            self.report(correct, "names a choice more than once")
        if cardinality == "single" and len(key) != 1:
            self.report(correct, f"single cardinality needs exactly one value, not {len(key)}")
        if cardinality == "multiple" and not key:
            self.report(correct, "names no choice")
        if cardinality == "ordered" and sorted(key) != sorted(choice_ids):
            self.report(correct, "is not a permutation of the choices: it must order all of them")
        if cardinality == "ordered":
            return
        raw = interaction.get("max-choices", "1")
        if not raw.isdigit():
            self.report(interaction, f"max-choices {raw!r} is not a whole number", "@max-choices")
        elif cardinality == "single" and int(raw) != 1:
            self.report(interaction, "max-choices must be 1 for a single response", "@max-choices")
        elif cardinality == "multiple" and 0 < int(raw) < len(key):
            message = f"max-choices {raw} is fewer than the {len(key)} correct choices"
            self.report(interaction, message, "@max-choices")

    def _type(
        self, wrapper: ET.Element | None, interaction: ET.Element, cardinality: str | None
    ) -> str:
        tag = local_name(interaction.tag)
        if wrapper is None:
            if tag == "qti-order-interaction":
                return "ordering"
            return "multiple_response" if cardinality == "multiple" else "single_choice"
        kind = wrapper.get(ATTR_TYPE) or ""
        if kind not in ITEM_TYPES:
            message = f"{ATTR_TYPE} {kind!r} is not one of {', '.join(ITEM_TYPES)}"
            self.report(wrapper, message, f"@{ATTR_TYPE}")
        elif cardinality is not None and TYPE_SHAPES[kind] != (tag, cardinality):
            message = f"{ATTR_TYPE} {kind} does not match a {tag} with {cardinality} cardinality"
            self.report(wrapper, message, f"@{ATTR_TYPE}")
        return kind

    def _stem(self, body: ET.Element, interaction: ET.Element, exact: bool) -> str:
        if exact:
            stem = _find_class(body, CLASS_STEM)
            if stem is None:
                self.report(body, "the Extender item has no stem block", f"div.{CLASS_STEM}")
            return "" if stem is None else exact_text(stem)
        prompt = interaction.find(_q("qti-prompt"))
        parts = [
            plain_text(body, lambda e: _is_feedback(e) or _is_interaction(e)),
            "" if prompt is None else plain_text(prompt),
        ]
        return "\n\n".join(p for p in parts if p)

    def _exhibit(self, body: ET.Element) -> dict[str, str] | None:
        block = _find_class(body, CLASS_EXHIBIT)
        if block is None:
            return None
        kind, title = block.get(ATTR_EXHIBIT) or "", block.get(ATTR_TITLE)
        if kind not in EXHIBIT_KINDS:
            message = f"{ATTR_EXHIBIT} {kind!r} is not one of {', '.join(EXHIBIT_KINDS)}"
            self.report(block, message, f"@{ATTR_EXHIBIT}")
        if title is None:
            self.report(block, "the exhibit has no title", f"@{ATTR_TITLE}")
        content = block.get(ATTR_CONTENT)
        pre = block.find(_q("pre"))
        if content is None and pre is None:
            self.report(block, f"the exhibit has neither a pre block nor {ATTR_CONTENT}", "pre")
        if content is None:
            content = "" if pre is None else exact_text(pre)
        return {"kind": kind, "title": title or "", "content": content}

    def _rationale(self, root: ET.Element) -> str:
        marked = _find_class(root, CLASS_RATIONALE)
        if marked is not None:
            return exact_text(marked)
        blocks = root.iter(_q("qti-rubric-block"))
        scorer = [b for b in blocks if "scorer" in (b.get("view") or "").split()]
        texts = [plain_text(e) for e in scorer or root.findall(_q("qti-modal-feedback"))]
        return "\n\n".join(t for t in texts if t)

    def _extender_fields(self, wrapper: ET.Element, item: Item) -> str | None:
        for attr, name in (
            (ATTR_OBJECTIVE, "objective"),
            (ATTR_REFERENCE, "reference"),
            (ATTR_AUTHOR, "author"),
            (ATTR_TRACK, ""),
        ):
            value = wrapper.get(attr)
            if value is None:
                self.report(wrapper, f"the Extender item has no {attr}", f"@{attr}")
            elif name:
                item[name] = value
        enemies = wrapper.get(ATTR_ENEMIES)
        if enemies is None:
            del item["enemies"]
        else:
            item["enemies"] = enemies.split()
        return wrapper.get(ATTR_TRACK)


def read_package(data: bytes, *, require_objective: bool = False) -> QtiPackage:
    """Items in manifest order, with the track and title the package declares (None when a
    foreign package does not say). Raises QtiImportError listing every problem found."""
    problems: list[QtiProblem] = []
    archive = _open_archive(data, problems)
    manifest = _read_manifest(archive, problems) if archive is not None else None
    if archive is None or manifest is None:
        raise QtiImportError(problems)
    items: list[Item] = []
    tracks: set[str] = set()
    owners: dict[str, str] = {}
    for path in manifest.items:
        doc = archive.parse(path, problems)
        if doc is None:
            continue
        _check_unique(doc, owners, problems)
        item, track = _ItemReader(doc, problems, require_objective).read()
        if item is not None:
            items.append(item)
        if track is not None:
            tracks.add(track)
    titles = [_read_test(archive, path, set(manifest.items), problems) for path in manifest.tests]
    if len(tracks) > 1:
        message = f"items belong to different tracks ({', '.join(sorted(tracks))})"
        problems.append(QtiProblem(MANIFEST_FILE, "manifest/resources", message))
    if problems:
        raise QtiImportError(problems)
    track = next(iter(tracks)) if tracks else manifest.track
    title = titles[0] if len(titles) == 1 and titles[0] is not None else manifest.title
    return QtiPackage(track=track, title=title, items=items)


def _check_unique(doc: Document, owners: dict[str, str], problems: list[QtiProblem]) -> None:
    identifier = doc.root.get("identifier")
    if not identifier or local_name(doc.root.tag) != "qti-assessment-item":
        return
    if identifier in owners:
        message = f"item identifier {identifier!r} is also used by {owners[identifier]}"
        problems.append(doc.problem(doc.root, message, child="@identifier"))
    else:
        owners[identifier] = doc.file


def import_package(data: bytes, *, require_objective: bool = False) -> list[Item]:
    """The items alone; use read_package for the track and title as well."""
    return read_package(data, require_objective=require_objective).items
