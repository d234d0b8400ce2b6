"""The TextMate grammar for `.flow` files (`editors/flow.tmLanguage.json`): it parses, its
regular expressions compile, and a small TextMate-style tokenizer run over sample lines gives
every reserved word of the language and every kind of literal the scope it should have.

The tokenizer follows TextMate's rules for what the grammar uses: at each position the
pattern whose match starts first wins (the earlier-listed on a tie), `include` refers to the
repository, a `begin`/`end` rule scans its own patterns until its end matches (the end
winning a tie), and captures get their own scopes. Python's `re` reads the grammar's
expressions as Oniguruma does because they keep to the syntax the two share."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from flowc.syntax.grammar import reserved

ROOT = Path(__file__).resolve().parent.parent
EDITORS = ROOT / "editors"
GRAMMAR_PATH = EDITORS / "flow.tmLanguage.json"

# The scope each reserved word gets, by family. A word the lexer knows but no family lists
# fails `test_every_reserved_word_has_a_family`: give it a family here and a pattern there.
FAMILIES = {
    "storage.type": {"flow", "node", "pool", "executor"},
    "keyword.control.import": {"from", "import", "as"},
    "keyword.control.return": {"return"},
    "keyword.other.map": {"map", "each"},
    "keyword.other.clause": {
        "timeout",
        "retry",
        "backoff",
        "max",
        "jitter",
        "on",
        "fallback",
        "collect",
        "limit",
        "rate",
        "per",
        "when",
        "sync",
        "thread",
    },
    "keyword.operator.logical": {"and", "or", "not", "in"},
    "support.function.builtin": {"first"},
    "constant.language.boundary": {"START", "END"},
    "constant.language": {"True", "False", "None"},
}
FAMILY = {word: family for family, words in FAMILIES.items() for word in words}

Token = tuple[int, int, str]


@functools.cache
def grammar() -> dict[str, Any]:
    data = json.loads(GRAMMAR_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def language_words() -> set[str]:
    """Every keyword of the lexer: the reserved words and the words the grammar spells out."""
    lark = (ROOT / "grammar" / "flow.lark").read_text(encoding="utf-8")
    return set(reserved()) | set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', lark))


def all_rules(node: Any) -> list[dict[str, Any]]:
    """Every rule object anywhere in the grammar."""
    if isinstance(node, dict):
        found = [node] if any(k in node for k in ("match", "begin")) else []
        return found + [r for value in node.values() for r in all_rules(value)]
    if isinstance(node, list):
        return [r for item in node for r in all_rules(item)]
    return []


def expand(patterns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Patterns with every `include` replaced by what it names, in order."""
    result: list[dict[str, Any]] = []
    for pattern in patterns:
        if "include" in pattern:
            name = pattern["include"]
            assert name.startswith("#"), name
            target = grammar()["repository"][name[1:]]
            result += expand(target["patterns"]) if "patterns" in target and "match" not in target else [target]
        elif "match" in pattern or "begin" in pattern:
            result.append(pattern)
        else:
            result += expand(pattern["patterns"])
    return result


def captured(match: re.Match[str], captures: dict[str, Any]) -> list[Token]:
    tokens = []
    for group, spec in captures.items():
        start, end = match.span(int(group))
        if start < end and "name" in spec:
            tokens.append((start, end, spec["name"]))
    return tokens


def scan(line: str, pos: int, patterns: list[dict[str, Any]], end: str | None) -> tuple[list[Token], int]:
    """Tokens from `pos` until the end of the line or until `end` matches; the position after."""
    tokens: list[Token] = []
    rules = expand(patterns)
    while pos < len(line):
        best: tuple[int, int, dict[str, Any] | None, re.Match[str]] | None = None
        if end is not None and (m := re.compile(end).search(line, pos)):
            best = (m.start(), -1, None, m)
        for order, rule in enumerate(rules):
            m = re.compile(rule.get("match") or rule["begin"]).search(line, pos)
            if m and (best is None or (m.start(), order) < best[:2]):
                best = (m.start(), order, rule, m)
        if best is None:
            break
        _, _, rule, m = best
        if rule is None:  # the enclosing rule's end
            return tokens, m.end()
        if "match" in rule:
            if "name" in rule:
                tokens.append((m.start(), m.end(), rule["name"]))
            tokens += captured(m, rule.get("captures", {}))
            pos = max(m.end(), pos + (m.end() == m.start()))
            continue
        inner, after = scan(line, m.end(), rule.get("patterns", []), rule["end"])
        tokens.append((m.start(), after, rule["name"]))
        tokens += captured(m, rule.get("beginCaptures", {})) + inner
        pos = after
    return tokens, len(line)


def tokenize(line: str) -> list[Token]:
    return scan(line, 0, grammar()["patterns"], None)[0]


def scopes_of(line: str, text: str, occurrence: int = 0) -> set[str]:
    """The scopes given to exactly the span of `text` (its n-th occurrence) in `line`."""
    starts = [m.start() for m in re.finditer(re.escape(text), line)]
    start = starts[occurrence]
    return {scope for s, e, scope in tokenize(line) if (s, e) == (start, start + len(text))}


def has_scope(scopes: set[str], prefix: str) -> bool:
    return any(s == prefix or s.startswith(prefix + ".") for s in scopes)


def test_the_grammar_is_a_textmate_grammar_for_flow_files() -> None:
    data = grammar()
    assert data["scopeName"] == "source.flow"
    assert data["fileTypes"] == ["flow"]
    assert data["patterns"] and data["repository"]
    for rule in all_rules(data):
        assert ("match" in rule) != ("begin" in rule), rule
        assert ("begin" in rule) == ("end" in rule), rule
        for scope in [rule.get("name", "")] + [
            c["name"] for key in ("captures", "beginCaptures", "endCaptures") for c in rule.get(key, {}).values()
        ]:
            assert scope == "" or scope.endswith(".flow"), scope


def test_every_regex_compiles_and_every_include_resolves() -> None:
    rules = all_rules(grammar())
    assert len(rules) > 20
    for rule in rules:
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])
    text = GRAMMAR_PATH.read_text(encoding="utf-8")
    for name in re.findall(r'"include": "#([^"]+)"', text):
        assert name in grammar()["repository"], name


def test_every_reserved_word_has_a_family() -> None:
    assert language_words() - set(FAMILY) == set(), "a keyword of the language the test does not know"


@pytest.mark.parametrize("word", sorted(reserved()))
def test_each_reserved_word_alone_is_highlighted(word: str) -> None:
    assert has_scope(scopes_of(f"{word} ", word), FAMILY[word]), tokenize(f"{word} ")


# Sample lines, each with the pieces of it that must get a scope: (text, occurrence, scope).
LINES: dict[str, list[tuple[str, int, str]]] = {
    "from demo.steps import fetch, parse as parse_page": [
        ("from", 0, "keyword.control.import"),
        ("import", 0, "keyword.control.import"),
        ("as", 0, "keyword.control.import"),
    ],
    "pool search limit 4 rate 10 per 1s": [
        ("pool", 0, "storage.type"),
        ("search", 0, "variable.other.pool"),
        ("limit", 0, "keyword.other.clause"),
        ("rate", 0, "keyword.other.clause"),
        ("per", 0, "keyword.other.clause"),
        ("4", 0, "constant.numeric"),
        ("1s", 0, "constant.numeric.duration"),
    ],
    "executor cpu": [
        ("executor", 0, "storage.type"),
        ("cpu", 0, "variable.other.pool"),
    ],
    "    node e = resize(path=page) executor cpu timeout 30s": [
        ("executor", 0, "storage.type"),
        ("30s", 0, "constant.numeric.duration"),
    ],
    "flow fetch_all(x: int, y: list[str] = []) -> (a: Doc, b: int | None) limit 3 timeout 2m {": [
        ("flow", 0, "storage.type"),
        ("fetch_all", 0, "entity.name.function"),
        ("x", 0, "variable.parameter"),
        ("int", 0, "support.type"),
        ("list", 0, "support.type"),
        ("->", 0, "keyword.operator.arrow"),
        ("Doc", 0, "entity.name.type"),
        ("|", 0, "keyword.operator.union"),
        ("None", 0, "constant.language"),
        ("limit", 0, "keyword.other.clause"),
        ("timeout", 0, "keyword.other.clause"),
        ("2m", 0, "constant.numeric.duration"),
    ],
    '    node page = fetch(url, timeout=5, opts={"k": [1, -2.5, 1e3, True]}) timeout 250ms': [
        ("node", 0, "storage.type"),
        ("page", 0, "variable.other.node"),
        ("fetch", 0, "entity.name.function.call"),
        ("timeout", 0, "variable.parameter.keyword"),
        ("timeout", 1, "keyword.other.clause"),
        ("5", 0, "constant.numeric"),
        ("-2.5", 0, "constant.numeric"),
        ("1e3", 0, "constant.numeric"),
        ('"k"', 0, "string.quoted.double"),
        ("True", 0, "constant.language"),
        ("250ms", 0, "constant.numeric.duration"),
    ],
    "    node b = double(x=a) retry 3 backoff 1.5s max 1h jitter on TimeoutError, net.Reset": [
        ("retry", 0, "keyword.other.clause"),
        ("backoff", 0, "keyword.other.clause"),
        ("1.5s", 0, "constant.numeric.duration"),
        ("max", 0, "keyword.other.clause"),
        ("1h", 0, "constant.numeric.duration"),
        ("jitter", 0, "keyword.other.clause"),
        ("on", 0, "keyword.other.clause"),
        ("TimeoutError", 0, "entity.name.type"),
    ],
    "    node c = map parse(text=each pages) limit 4 collect thread pool api": [
        ("map", 0, "keyword.other.map"),
        ("each", 0, "keyword.other.map"),
        ("collect", 0, "keyword.other.clause"),
        ("thread", 0, "keyword.other.clause"),
        ("pool", 0, "storage.type"),
    ],
    "    node d = pick(v=first(a, b)) sync fallback None when a.ok and not (b.limit in [1, 2] or c != 'x')": [
        ("first", 0, "support.function.builtin"),
        ("sync", 0, "keyword.other.clause"),
        ("fallback", 0, "keyword.other.clause"),
        ("when", 0, "keyword.other.clause"),
        ("and", 0, "keyword.operator.logical"),
        ("not", 0, "keyword.operator.logical"),
        ("limit", 0, "variable.other.member"),
        ("in", 0, "keyword.operator.logical"),
        ("or", 0, "keyword.operator.logical"),
        ("!=", 0, "keyword.operator.comparison"),
        ("'x'", 0, "string.quoted.single"),
    ],
    "    START >> a >> [b, c] >> END  # the edges": [
        ("START", 0, "constant.language.boundary"),
        (">>", 0, "keyword.operator.edge"),
        ("END", 0, "constant.language.boundary"),
        ("# the edges", 0, "comment.line.number-sign"),
    ],
    "    return a=first(b, c), n=False": [
        ("return", 0, "keyword.control.return"),
        ("a", 0, "variable.parameter.keyword"),
        ("False", 0, "constant.language"),
    ],
    '    node e = say(text="tab\\t, \\u00e9, \\N{BULLET}", bad="\\q") when kind == "text"': [
        ("\\t", 0, "constant.character.escape"),
        ("\\u00e9", 0, "constant.character.escape"),
        ("\\N{BULLET}", 0, "constant.character.escape"),
        ("\\q", 0, "invalid.illegal"),
        ("==", 0, "keyword.operator.comparison"),
        ('"text"', 0, "string.quoted.double"),
    ],
    '    mode: Literal["a", ...] = "a",': [
        ("mode", 0, "variable.parameter"),
        ("...", 0, "constant.language.ellipsis"),
    ],
}
SAMPLE = [(line, text, occurrence, scope) for line, pieces in LINES.items() for text, occurrence, scope in pieces]


@pytest.mark.parametrize(("line", "text", "occurrence", "scope"), SAMPLE)
def test_sample_lines_are_highlighted(line: str, text: str, occurrence: int, scope: str) -> None:
    found = scopes_of(line, text, occurrence)
    assert has_scope(found, scope), (found, tokenize(line))


def test_the_samples_cover_every_reserved_word_and_literal_kind() -> None:
    words = {text for line, text, _, scope in SAMPLE if text in reserved()}
    assert words == set(reserved())
    kinds = {scope for *_, scope in SAMPLE}
    assert {
        "comment.line.number-sign",
        "string.quoted.double",
        "string.quoted.single",
        "constant.character.escape",
        "constant.numeric",
        "constant.numeric.duration",
        "constant.language",
        "constant.language.boundary",
        "keyword.operator.edge",
        "support.type",
        "entity.name.type",
    } <= kinds


def test_strings_hide_keywords_and_comments() -> None:
    line = 'node a = f(x="when # not a comment")'
    inside = scopes_of(line, "when")
    assert not any(s.startswith("keyword") for s in inside)
    assert scopes_of(line, "# not a comment") == set()


def test_the_vscode_manifest_points_at_the_grammar() -> None:
    manifest = json.loads((EDITORS / "package.json").read_text(encoding="utf-8"))
    (language,) = manifest["contributes"]["languages"]
    (entry,) = manifest["contributes"]["grammars"]
    assert language["extensions"] == [".flow"]
    assert entry["language"] == language["id"]
    assert entry["scopeName"] == grammar()["scopeName"]
    assert (EDITORS / entry["path"]).resolve() == GRAMMAR_PATH
    configuration = json.loads((EDITORS / language["configuration"]).read_text(encoding="utf-8"))
    assert configuration["comments"]["lineComment"] == "#"


# ---------------------------------------------------------------- the language server's setup

EDITOR_DOC = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")


def test_the_editor_setup_page_uses_the_grammars_language() -> None:
    """The language id, scope and file type the language server is attached to in
    docs/editors.md are those this folder declares."""
    manifest = json.loads((EDITORS / "package.json").read_text(encoding="utf-8"))
    (language,) = manifest["contributes"]["languages"]
    vscode = json.loads(EDITOR_DOC.split("```json\n", 1)[1].split("```", 1)[0])
    assert vscode["glspc.server.languageId"] == [language["id"]]
    assert vscode["glspc.server.commandArguments"] == ["lsp"]
    helix = EDITOR_DOC.split("```toml\n", 1)[1].split("```", 1)[0]
    assert f'scope = "{grammar()["scopeName"]}"' in helix
    assert f"file-types = {json.dumps(grammar()['fileTypes'])}" in helix
    assert f'name = "{language["id"]}"' in helix
    assert 'args = ["lsp"]' in helix
    neovim = EDITOR_DOC.split("```lua\n", 1)[1].split("```", 1)[0]
    assert f'extension = {{ flow = "{language["id"]}" }}' in neovim
    assert f'filetypes = {{ "{language["id"]}" }}' in neovim


def test_every_keyword_the_language_server_completes_is_highlighted() -> None:
    from flowc.lsp import completion

    offered = {*completion.CLAUSES, *completion.RETRY_WORDS, *completion.TOP_LEVEL, *completion.BODY}
    assert offered - set(reserved()) == set()
    for word in offered:
        assert has_scope(scopes_of(f"{word} ", word), FAMILY[word]), word
