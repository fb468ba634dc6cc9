"""Search filters and safe Milvus filter expressions (every value quoted here, nowhere else)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Milvus Lite 3.x ignores `filter_params` templates, so values are written into the expression as string literals.
# Both Lite's tokenizer and the server's parser accept these C-style escapes; a raw newline is a parse error.
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@dataclass(frozen=True)
class SearchFilters:
    """Restricts a search: any of these libraries, paths under a prefix, files with these suffixes ("pdf", "md")."""

    libraries: tuple[str, ...] = ()
    path_prefix: str | None = None
    file_types: tuple[str, ...] = ()


def file_id_for(path: str) -> str:
    """sha1 of the path: a quote-free key, so delete-by-file never depends on escaping the path."""
    return hashlib.sha1(path.encode("utf-8", "surrogatepass")).hexdigest()


def suffix_of(path: str) -> str:
    """Lower-case suffix without the dot ("pdf"), "" when the name has none."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in name.strip("."):
        return ""
    return name.rsplit(".", 1)[-1].lower()


def quote(value: str) -> str:
    """A double-quoted Milvus string literal for `value`."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def _prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix` (None: no upper bound).

    A range `prefix <= path < bound` is an exact prefix test (UTF-8 byte order equals code point order), while
    LIKE would need its `%`/`_` wildcards escaped, which Lite and the server treat differently.
    """
    chars = list(prefix)
    while chars:
        last = ord(chars[-1])
        if last < 0x10FFFF:
            nxt = last + 1
            if 0xD800 <= nxt <= 0xDFFF:  # surrogates cannot be encoded; no valid character lies between
                nxt = 0xE000
            chars[-1] = chr(nxt)
            return "".join(chars)
        chars.pop()
    return None


def _in_list(field: str, values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return f"{field} == {quote(values[0])}"
    return f"{field} in [{', '.join(quote(v) for v in values)}]"


def build_filter(filters: SearchFilters | None, *, embedded_only: bool = False) -> str:
    """The filter expression for `filters` ("" when nothing restricts the search)."""
    parts: list[str] = []
    if embedded_only:
        parts.append("embedded == true")
    if filters is not None:
        if filters.libraries:
            parts.append(_in_list("library", tuple(filters.libraries)))
        if filters.path_prefix:
            parts.append(f"path >= {quote(filters.path_prefix)}")
            upper = _prefix_upper_bound(filters.path_prefix)
            if upper is not None:
                parts.append(f"path < {quote(upper)}")
        if filters.file_types:
            suffixes = tuple(dict.fromkeys(t.lower().lstrip(".") for t in filters.file_types))
            parts.append(_in_list("suffix", suffixes))
    return " and ".join(f"({p})" for p in parts) if len(parts) > 1 else "".join(parts)


_SERVER_SCHEMES = ("http://", "https://", "tcp://", "unix:")


def is_server_uri(uri: str) -> bool:
    """A Milvus server (or Zilliz Cloud) address, as opposed to a Milvus Lite folder ending in .db."""
    return uri.startswith(_SERVER_SCHEMES)
