"""Refresh the window's .ts files from desktop/ with PySide6's lupdate, keeping every existing translation.

    python resources/i18n/update_translations.py           # rewrite tansaku_ja.ts after changing UI text
    python resources/i18n/update_translations.py --check   # exit 1 when a .ts is out of date or unfinished

It runs, from the repository root:
    <PySide6>/lupdate -locations none -no-obsolete desktop/*.py desktop/widgets/*.py -ts resources/i18n/tansaku_ja.ts
New strings arrive as type="unfinished"; translate them (Qt Linguist, or by hand) before committing. Locations are
left out so that moving code does not churn the file; strings no longer in the sources are dropped (-no-obsolete).
The .qm files are built, never committed: build.spec runs lrelease, and from source desktop/i18n.py compiles them.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TS_FILES = (ROOT / "resources" / "i18n" / "tansaku_ja.ts",)


def sources() -> list[Path]:
    return sorted((ROOT / "desktop").glob("*.py")) + sorted((ROOT / "desktop" / "widgets").glob("*.py"))


def lupdate_command() -> list[str]:
    import PySide6

    exe = "lupdate.exe" if sys.platform == "win32" else "lupdate"
    bundled = Path(PySide6.__file__).resolve().parent / exe
    if bundled.is_file():
        return [str(bundled)]
    found = shutil.which("pyside6-lupdate")
    if not found:
        raise SystemExit("lupdate not found: install PySide6 (it ships lupdate and pyside6-lupdate)")
    return [found]


def run_lupdate(ts: Path) -> None:
    files = [str(p.relative_to(ROOT)) for p in sources()]
    command = [*lupdate_command(), "-silent", "-locations", "none", "-no-obsolete", *files, "-ts", str(ts)]
    subprocess.run(command, check=True, cwd=ROOT)


def unfinished(ts: Path) -> list[str]:
    """Source texts without a finished translation (unfinished, vanished or obsolete entries, or empty ones)."""
    bad = []
    for message in ET.parse(ts).getroot().iter("message"):
        translation = message.find("translation")
        source = message.findtext("source") or ""
        if translation is None or translation.get("type") or not "".join(translation.itertext()).strip():
            bad.append(source)
    return bad


def check(ts: Path) -> list[str]:
    """Problems with one .ts: out of date with the sources, or with unfinished messages."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / ts.name
        shutil.copy(ts, fresh)
        run_lupdate(fresh)
        if not filecmp.cmp(ts, fresh, shallow=False):
            problems.append(f"{ts.name} is out of date: run python resources/i18n/update_translations.py")
    problems += [f"{ts.name}: no finished translation for {text!r}" for text in unfinished(ts)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report problems instead of rewriting the files")
    args = parser.parse_args(argv)
    if args.check:
        problems = [p for ts in TS_FILES for p in check(ts)]
        print("\n".join(problems) or "translations are up to date and finished")
        return 1 if problems else 0
    for ts in TS_FILES:
        run_lupdate(ts)
        left = unfinished(ts)
        print(f"{ts.relative_to(ROOT)}: {len(left)} message(s) to translate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
