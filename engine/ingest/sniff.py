"""Turn raw file bytes into text, or decide they are binary: BOMs, ISO-2022-JP, UTF-8, Japanese, charset-normalizer."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from engine.errors import SkipFile

SNIFF_BYTES = 8192
# Share of control characters (tab, newlines, form feed, escape excluded) above which decoded text is called binary.
MAX_CONTROL_RATIO = 0.05
# Share of U+FFFD replacements above which a lenient decode is not trusted.
MAX_REPLACEMENT_RATIO = 0.05
CHAOS_TOLERANCE = 0.15
# Share of NUL bytes (of the sniffed start) up to which they are stray bytes in a text file, dropped with a note.
# Exports and crashed writes leave a few NULs in otherwise good text (10 in a 1.4 kB Markdown file is 0.7%).
# Formats with structure are far above 2% (executables, .pyc and .npy files, JPEG headers: 4% to 90%);
# compressed data holds about 1/256 = 0.4% NULs like any random bytes, and is told apart by its signature and
# by the control characters the rest decodes to, which the checks after decoding still count.
MAX_STRAY_NUL_RATIO = 0.02
BINARY = "binary file (not text)"

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
# Starts of binary formats (images, archives, executables, databases) that no text file opens with. A file that
# holds NULs and opens with one is binary even when its NULs are few: a zip of stored text is still a zip.
_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"\x00\x00\x01\x00", b"PK\x03\x04", b"PK\x05\x06",
    b"PK\x07\x08", b"\x1f\x8b", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07",
    b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"SQLite format 3\x00", b"%PDF-",
)  # fmt: skip


# ISO-2022-JP is 7-bit: valid ASCII and UTF-8, so it must be recognised by its escape sequences before UTF-8 is
# tried. Designations of JIS X 0208 (ESC $ B, ESC $ @), JIS X 0212/0213 (ESC $ ( D/O/Q) and JIS X 0201 (ESC ( J/I).
_ISO2022_JP_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b$(D", b"\x1b$(O", b"\x1b$(Q", b"\x1b(J", b"\x1b(I")
# Tried strictly in this order: the plain codec first, then the supersets that add half-width katakana and JIS X 0213.
_ISO2022_JP_CODECS = ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004")
# Shift_JIS (as CP932, its Windows superset) and EUC-JP. EUC-JP shares its byte ranges with GB2312/GBK/EUC-KR, so a
# chaos-based detector picks Chinese for short Japanese files; kana settle it (see _japanese).
_JAPANESE_CODECS = ("cp932", "euc_jp")
# Share of kana (hiragana and full-width katakana) among the non-ASCII characters above which a strict Japanese
# decode is believed. Japanese prose, even kanji-heavy legal text, is over a third kana; the same bytes read as
# Japanese from Chinese, Korean or Western code pages give almost none (GB2312 and EUC-KR put kana in rows that
# Chinese and Korean text do not use, and CP932 reads their lead bytes as half-width katakana, which do not count).
MIN_KANA_SHARE = 0.2
MIN_KANA = 2
_KANA = re.compile("[\u3041-\u3096\u30a1-\u30fa\u30fc]")


@dataclass(frozen=True)
class Decoded:
    """Decoded text and what was done to get it, for the file's report ("10 stray NUL bytes removed")."""

    text: str
    notes: tuple[str, ...] = ()


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
    """`decode_text` without its notes."""
    return decode_text(data, hint=hint).text


def decode_text(data: bytes, *, hint: str | None = None) -> Decoded:
    """Decode file bytes to text; raise SkipFile("binary file (not text)") for binary content.

    Stray NUL bytes in otherwise good text are dropped, with a note saying how many (see MAX_STRAY_NUL_RATIO).
    `hint` is an encoding the format itself declares (an HTML meta charset); it is tried after UTF-8.
    """
    notes: tuple[str, ...] = ()
    found = bom_encoding(data)
    if found is not None:
        encoding, skip = found
        text = data[skip:].decode(encoding, errors="replace")
        if "\x00" in text:
            notes = _stray_nuls(text.count("\x00"), text[:SNIFF_BYTES])
            text = text.replace("\x00", "")
    elif b"\x00" in data:
        utf16 = _bomless_utf16(data[:SNIFF_BYTES])
        if utf16 is not None:
            text = data.decode(utf16, errors="replace")
        elif data.startswith(_SIGNATURES):
            raise SkipFile(BINARY)
        else:
            notes = _stray_nuls(data.count(0), data[:SNIFF_BYTES])
            text = _decode_bomless(data.replace(b"\x00", b""), hint)
    else:
        text = _decode_bomless(data, hint)
    if looks_binary(text) or _too_many_replacements(text):
        raise SkipFile(BINARY)
    return Decoded(text, notes)


def _stray_nuls(total: int, start: bytes | str) -> tuple[str, ...]:
    """The note for dropping `total` NULs; SkipFile when they are more than a stray share of the file's start.

    Judged on the start, like every other binary check here: a text file whose tail is NUL padding (a log cut
    short by a crash) still reads, while a file that opens with NUL-laden structure is binary.
    """
    nuls = start.count(0) if isinstance(start, bytes) else start.count("\x00")
    if nuls > MAX_STRAY_NUL_RATIO * len(start):
        raise SkipFile(BINARY)
    return (f"{total:,} stray NUL byte{'' if total == 1 else 's'} removed",)


def _iso2022_jp(data: bytes) -> str | None:
    """The text of 7-bit ISO-2022-JP data (mail-era Japanese), or None when the bytes are not that."""
    if not any(esc in data for esc in _ISO2022_JP_ESCAPES) or max(data) >= 0x80:
        return None
    for codec in _ISO2022_JP_CODECS:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def _kana_share(text: str) -> tuple[int, float]:
    wide = sum(1 for ch in text if ord(ch) > 0x7F)
    kana = len(_KANA.findall(text))
    return kana, (kana / wide if wide else 0.0)


def _japanese(data: bytes) -> str | None:
    """Shift_JIS/CP932 or EUC-JP text when the bytes decode strictly in one of them and read as Japanese (kana).

    A statistical detector can be wrong on a few lines of Japanese (EUC-JP read as GB18030, both valid); a strict
    decode plus kana is a sharper test. When both codecs decode, the one with more kana wins.
    """
    best: tuple[int, str] | None = None
    for codec in _JAPANESE_CODECS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        kana, share = _kana_share(text[: SNIFF_BYTES * 4])
        if kana >= MIN_KANA and share >= MIN_KANA_SHARE and (best is None or kana > best[0]):
            best = (kana, text)
    return best[1] if best else None


def _decode_bomless(data: bytes, hint: str | None) -> str:
    jis = _iso2022_jp(data)
    if jis is not None:
        return jis
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _hinted(data, hint) or _lenient_utf8(data) or _japanese(data) or _detected(data)
    if text is None:
        raise SkipFile(BINARY)
    return text
