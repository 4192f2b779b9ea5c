"""Labelled examples: read Rasa NLU YAML and JSON Lines, write Rasa YAML.

Rasa NLU YAML (version "3.1")::

    nlu:
    - intent: report/street_vending      # a report: retrieval-intent syntax report/<category id>
      metadata: {emergency: true}        # optional: every example of the block is an emergency
      # optional `style: indirect` in metadata: the writing style (eval reports per style)
      examples: |
        - 门口有人摆摊卖水果
    - intent: greet                      # a non-report intent from taxonomy.yaml
      examples: |
        - 你好

JSON Lines (eval sets, corrections)::

    {"text": "...", "intent": "report", "category": "garbage", "emergency": false, "style": "terse"}

(`intent` may also be `report/<id>`; a line with only `category` is a report;
`emergency` may be omitted, meaning unknown.)

Every problem is a `CorpusError` naming the file and line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPORT = "report"
_STYLE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_ANNOTATION = re.compile(r"\[([^\[\]]+)\](?:\([^()]*\)|\{[^{}]*\})")
_YAML_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


class CorpusError(ValueError):
    """A malformed training/eval file; the message starts with `file:line:`."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str  # an intent id from taxonomy.yaml
    category: str | None = None  # set iff intent == "report"
    emergency: bool | None = None  # None: not labelled
    source: str = ""  # "file:line", for messages
    style: str = ""  # writing style of an eval example (metadata `style:`), "" if untagged

    @property
    def label(self) -> str:
        """The flat class: `report/<category>` for reports, else the intent id."""
        return f"{REPORT}/{self.category}" if self.intent == REPORT else self.intent


def _label_sets() -> tuple[set[str], set[str]]:
    from dispatch.domain.taxonomy import load_taxonomy

    tax = load_taxonomy()
    return set(tax.category_ids), set(tax.intents)


def parse_label(label: str, where: str) -> tuple[str, str | None]:
    """`report/<id>` or a plain intent → (intent, category)."""
    categories, intents = _label_sets()
    label = label.strip()
    if label.startswith(REPORT + "/"):
        cat = label[len(REPORT) + 1:]
        if cat not in categories:
            raise CorpusError(
                f"{where}: intent {label!r}: unknown category id {cat!r} "
                f"(known: {', '.join(sorted(categories))})"
            )
        return REPORT, cat
    if label == REPORT:
        raise CorpusError(f"{where}: intent 'report' needs a category: write report/<category_id>")
    if label not in intents:
        raise CorpusError(
            f"{where}: unknown intent {label!r} (known: {', '.join(sorted(intents))}, "
            "or report/<category_id>)"
        )
    return label, None


def clean_example(text: str) -> str:
    """Strip Rasa entity annotations `[text](entity)` / `[text]{...}` → text."""
    return _ANNOTATION.sub(r"\1", text).strip()


# -- Rasa YAML -----------------------------------------------------------------

def load_rasa(path: Path) -> list[Example]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise CorpusError(f"{name}:1: not UTF-8 ({e.reason})") from e
    except OSError as e:
        raise CorpusError(f"{name}: cannot read: {e.strerror}") from e
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise CorpusError(f"{name}:{line}: invalid YAML: {problem}") from e
    if root is None or not isinstance(data, dict):
        raise CorpusError(f"{name}:1: expected a mapping with an 'nlu:' list")
    nlu_node = _child(root, "nlu")
    items = data.get("nlu")
    if nlu_node is None or not isinstance(items, list):
        raise CorpusError(f"{name}:1: expected an 'nlu:' list")
    out: list[Example] = []
    for item, node in zip(items, nlu_node.value, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            raise CorpusError(f"{name}:{line}: expected '- intent: ...' with 'examples: |'")
        if "intent" not in item:
            if any(k in item for k in ("synonym", "regex", "lookup")):
                continue  # other Rasa NLU blocks: not used here
            raise CorpusError(f"{name}:{line}: block without 'intent:'")
        label = str(item["intent"])
        where = f"{name}:{line}"
        intent, category = parse_label(label, where)
        meta = item.get("metadata") or {}
        if not isinstance(meta, dict):
            raise CorpusError(f"{where}: intent {label!r}: metadata must be a mapping")
        emergency = _as_bool(meta.get("emergency", False), f"{where}: intent {label!r}")
        style = _as_style(meta.get("style", ""), f"{where}: intent {label!r}")
        examples = item.get("examples")
        ex_node = _child(node, "examples")
        first_line = ex_node.start_mark.line + 2 if ex_node is not None else line
        block: list[Example] = []
        if isinstance(examples, str):
            for k, raw in enumerate(examples.splitlines()):
                s = raw.strip()
                if not s:
                    continue
                if not s.startswith("-"):
                    raise CorpusError(
                        f"{name}:{first_line + k}: intent {label!r}: expected '- example', "
                        f"got {s[:30]!r}"
                    )
                t = clean_example(s[1:])
                if t:
                    block.append(Example(t, intent, category, emergency, f"{name}:{first_line + k}",
                                         style))
        elif isinstance(examples, list):  # Rasa's long form: - text: ... metadata: ...
            for k, ex in enumerate(examples):
                if not isinstance(ex, dict) or not isinstance(ex.get("text"), str):
                    raise CorpusError(f"{where}: intent {label!r}: example {k + 1} has no text")
                ex_meta = ex.get("metadata") or {}
                emerg = _as_bool(ex_meta.get("emergency", emergency), where)
                ex_style = _as_style(ex_meta.get("style", style), where)
                t = clean_example(ex["text"])
                if t:
                    block.append(Example(t, intent, category, emerg, where, ex_style))
        elif examples is not None:
            raise CorpusError(f"{where}: intent {label!r}: 'examples' must be a '|' block")
        if not block:
            raise CorpusError(f"{where}: intent {label!r} has no examples")
        out.extend(block)
    return out


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _as_style(value: Any, where: str) -> str:
    if isinstance(value, str) and (not value or _STYLE.fullmatch(value)):
        return value
    raise CorpusError(f"{where}: style must be a lower-case word like 'indirect', got {value!r}")


def _as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise CorpusError(f"{where}: emergency must be true or false, got {value!r}")


# -- JSON Lines ------------------------------------------------------------------

def example_from_json(obj: Any, where: str) -> Example:
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"{where}: missing or empty 'text'")
    intent = obj.get("intent")
    category = obj.get("category")
    if intent is None and category is not None:
        intent = REPORT
    if not isinstance(intent, str):
        raise CorpusError(f"{where}: missing 'intent'")
    if intent == REPORT:
        if not isinstance(category, str):
            raise CorpusError(f"{where}: intent 'report' needs a 'category'")
        intent = f"{REPORT}/{category}"
    elif not intent.startswith(REPORT + "/") and category is not None:
        raise CorpusError(f"{where}: 'category' given for non-report intent {intent!r}")
    intent, category = parse_label(intent, where)
    emergency = obj.get("emergency")
    if emergency is not None and not isinstance(emergency, bool):
        raise CorpusError(f"{where}: emergency must be true, false or absent")
    style = obj.get("style", "")
    if not isinstance(style, str):
        raise CorpusError(f"{where}: style must be a string")
    return Example(text.strip(), intent, category, emergency, where, _as_style(style, where))


def load_jsonl(path: Path) -> list[Example]:
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"{name}: cannot read: {e.strerror}") from e
    out: list[Example] = []
    for lineno, line in enumerate(raw.splitlines(), 1):
        where = f"{name}:{lineno}"
        if not line.strip():
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise CorpusError(f"{where}: not UTF-8") from e
        except json.JSONDecodeError as e:
            raise CorpusError(f"{where}: invalid JSON: {e.msg}") from e
        out.append(example_from_json(obj, where))
    return out


# -- many files ------------------------------------------------------------------

CORPUS_SUFFIXES = (".yml", ".yaml", ".jsonl")


def corpus_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix in CORPUS_SUFFIXES and f.is_file())
            if not found:
                raise CorpusError(f"{p}: no .yml/.yaml/.jsonl files in this directory")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise CorpusError(f"{p}: no such file or directory")
    return files


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Examples from Rasa YAML and/or JSONL files (directories: every such file, sorted)."""
    out: list[Example] = []
    for f in corpus_files(paths):
        out.extend(load_jsonl(f) if f.suffix == ".jsonl" else load_rasa(f))
    return out


def conflicts(examples: Sequence[Example]) -> list[tuple[str, list[Example]]]:
    """The same text (after whitespace strip) under different labels or emergency flags."""
    by_text: dict[str, list[Example]] = {}
    for ex in examples:
        by_text.setdefault(ex.text, []).append(ex)
    return [
        (t, exs)
        for t, exs in by_text.items()
        if len({(e.label, e.emergency) for e in exs}) > 1
    ]


# -- writing ---------------------------------------------------------------------

def to_rasa_yaml(examples: Iterable[Example], header: str = "") -> str:
    """Rasa NLU YAML, one block per (label, emergency, style), in first-seen order."""
    blocks: dict[tuple[str, bool, str], list[str]] = {}
    for ex in examples:
        key = (ex.label, bool(ex.emergency), ex.style)
        text = _YAML_BAD_CHARS.sub(" ", " ".join(ex.text.split()))
        if text:
            blocks.setdefault(key, []).append(text)
    lines = []
    if header:
        lines += [f"# {h}" for h in header.splitlines()]
    lines += ['version: "3.1"', "nlu:"]
    for (label, emergency, style), texts in blocks.items():
        lines.append(f"- intent: {label}")
        if emergency or style:
            lines.append("  metadata:")
        if emergency:
            lines.append("    emergency: true")
        if style:
            lines.append(f"    style: {style}")
        lines.append("  examples: |")
        lines += [f"    - {t}" for t in dict.fromkeys(texts)]
    return "\n".join(lines) + "\n"


def append_correction(
    path: Path, text: str, category: str | None = None, intent: str = REPORT,
    emergency: bool | None = None,
) -> None:
    """Store a correction (a resident or dispatcher choosing another label) as a JSONL example.

    `gridbot nlu train --corrections PATH` then trains on it with the corpus.
    """
    label = f"{REPORT}/{category}" if intent == REPORT else intent
    parse_label(label, str(path))  # validate before writing
    obj: dict[str, Any] = {"text": text, "intent": intent}
    if intent == REPORT:
        obj["category"] = category
    if emergency is not None:
        obj["emergency"] = emergency
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")
