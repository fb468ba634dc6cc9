"""Turn raw file bytes into text, or decide they are binary: BOMs first, then UTF-8, then charset-normalizer."""

from __future__ import annotations

import codecs

from engine.errors import SkipFile

SNIFF_BYTES = 8192
# Share of control characters (tab, newlines, form feed, escape excluded) above which decoded text is called binary.
MAX_CONTROL_RATIO = 0.05
# Share of U+FFFD replacements above which a lenient decode is not trusted.
MAX_REPLACEMENT_RATIO = 0.05
CHAOS_TOLERANCE = 0.15

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Legacy encodings in rough order of how often documents use them (charset-normalizer's codec names).
_COMMON = (
    "cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r", "cp932", "shift_jis", "euc_jp",
    "gb18030", "gb2312", "gbk", "big5", "euc_kr", "cp949", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
)  # fmt: skip
_ALLOWED_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1b")


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """The encoding a byte-order mark announces and the BOM's length, or None."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def _bomless_utf16(sample: bytes) -> str | None:
    """UTF-16 without a BOM shows NULs in every other byte; say which order, or None."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nuls, odd_nuls = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nuls > 0.4 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.4 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def looks_binary(text: str) -> bool:
    """True when the start of decoded text holds NULs or too many control characters."""
    sample = text[:SNIFF_BYTES]
    if not sample:
        return False
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if ch not in _ALLOWED_CONTROLS and (ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F))
    return controls / len(sample) > MAX_CONTROL_RATIO


def _lenient_utf8(data: bytes) -> str | None:
    """UTF-8 with a few bad bytes replaced, if the rest is clearly UTF-8 (valid multi-byte sequences dominate)."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if bad <= 0:
        return text
    good_non_ascii = sum(1 for ch in text if ord(ch) > 0x7F) - text.count("\ufffd")
    if good_non_ascii >= 10 * bad:
        return text
    return None


def _detected(data: bytes) -> str | None:
    """charset-normalizer's best guess, decoded; None when it finds no plausible encoding."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    # Its first pick can be a rare code page only marginally less "chaotic" than the right one (cp1257 over
    # cp1252 for French text); among near-equal picks, prefer the encodings people actually use.
    near = [m for m in matches if m.chaos <= matches[0].chaos + CHAOS_TOLERANCE]
    best = min(near, key=lambda m: _COMMON.index(m.encoding) if m.encoding in _COMMON else len(_COMMON))
    try:
        return data.decode(best.encoding, errors="replace")
    except LookupError:
        return None


def _too_many_replacements(text: str) -> bool:
    sample = text[: SNIFF_BYTES * 4]
    return bool(sample) and sample.count("\ufffd") / len(sample) > MAX_REPLACEMENT_RATIO


def _hinted(data: bytes, hint: str | None) -> str | None:
    if not hint:
        return None
    try:
        return data.decode(hint)
    except (LookupError, UnicodeDecodeError):
        return None


def decode_bytes(data: bytes, *, hint: str | None = None) -> str:
    """Decode file bytes to text; raise SkipFile("binary file (not text)") for binary content.

    `hint` is an encoding the format itself declares (an HTML meta charset); it is tried after UTF-8.
    """
    found = bom_encoding(data)
    if found is not None:
        encoding, skip = found
        text = data[skip:].decode(encoding, errors="replace")
    elif b"\x00" in data[:SNIFF_BYTES]:
        utf16 = _bomless_utf16(data[:SNIFF_BYTES])
        if utf16 is None:
            raise SkipFile("binary file (not text)")
        text = data.decode(utf16, errors="replace")
    else:
        text = _decode_bomless(data, hint)
    if looks_binary(text) or _too_many_replacements(text):
        raise SkipFile("binary file (not text)")
    return text


def _decode_bomless(data: bytes, hint: str | None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _hinted(data, hint) or _lenient_utf8(data) or _detected(data)
    if text is None:
        raise SkipFile("binary file (not text)")
    return text
