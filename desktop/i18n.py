"""The window's language: which one to use (setting, environment, system locale) and Qt translators for it.

Japanese comes from resources/i18n/tansaku_ja.ts. A frozen build carries the compiled .qm (build.spec runs lrelease);
from source the .ts is compiled once into the user cache dir whenever the .qm is missing or older than the .ts (one
lrelease run, ~50 ms, before the window is built). Without lrelease the window stays English and says so in the log.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from desktop.resources import resource_path
from engine import APP_NAME

log = logging.getLogger(__name__)

ENV_VAR = "TANSAKU_LANGUAGE"  # "en" or "ja" (or "system"): wins over the setting; tests and screenshots use it
TRANSLATED = ("ja",)  # languages with a .ts file; English is the source text
QT_CATALOGS = ("qtbase",)  # Qt's own strings: standard buttons, file and message dialogs

_current = "en"  # the language whose translators are installed; mirrors QCoreApplication's process-wide state
_installed: list[QTranslator] = []


def translate(context: str, text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """QCoreApplication.translate; call it with literal strings so that pyside6-lupdate finds them."""
    return QCoreApplication.translate(context, text, disambiguation, n)


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - the name lupdate looks for
    """Marks a constant for lupdate (it is translated later, where it is shown); typed, unlike PySide6's."""
    return text


def current_language() -> str:
    """ "en" or "ja": what the window shows now (English until install() loads a translation)."""
    return _current


def choose_language(setting: str, env: Mapping[str, str] | None = None, system: QLocale | None = None) -> str:
    """The language to show: TANSAKU_LANGUAGE, else the setting, else (for "system") the system locale."""
    env = os.environ if env is None else env
    for choice in (env.get(ENV_VAR, "").strip().lower(), (setting or "system").lower()):
        if choice in TRANSLATED or choice == "en":
            return choice
    locale = system if system is not None else QLocale.system()
    for name in locale.uiLanguages():  # e.g. ["ja-JP", "en-US"]: the first one we have wins
        code = name.split("-")[0].split("_")[0].lower()
        if code in TRANSLATED or code == "en":
            return code
    return "en"


def ts_path(lang: str) -> Path:
    return resource_path("i18n", f"tansaku_{lang}.ts")


def lrelease_command() -> list[str] | None:
    """lrelease from the PySide6 package (or pyside6-lrelease on PATH); None when neither exists."""
    import PySide6

    exe = "lrelease.exe" if sys.platform == "win32" else "lrelease"
    bundled = Path(PySide6.__file__).resolve().parent / exe
    if bundled.is_file():
        return [str(bundled)]
    found = shutil.which("pyside6-lrelease")
    return [found] if found else None


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "i18n"


def compile_ts(ts: Path, qm: Path) -> bool:
    """ts -> qm with lrelease; False (and one log line) when lrelease is missing or fails."""
    command = lrelease_command()
    if command is None:
        log.warning("No lrelease (PySide6's translation compiler) found: the window stays in English")
        return False
    qm.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([*command, "-silent", str(ts), "-qm", str(qm)], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("Could not compile %s (%s): the window stays in English", ts.name, exc)
        return False
    return qm.is_file()


def qm_path(lang: str) -> Path | None:
    """The compiled translation: next to the .ts in a frozen build, else compiled into the cache when stale."""
    ts = ts_path(lang)
    bundled = ts.with_suffix(".qm")
    frozen = getattr(sys, "frozen", False)  # a bundle carries the .qm only (build.spec compiles it)
    if bundled.is_file() and (frozen or not ts.is_file() or bundled.stat().st_mtime >= ts.stat().st_mtime):
        return bundled
    if not ts.is_file():
        log.warning("No translation file %s: the window stays in English", ts)
        return None
    cached = cache_dir() / bundled.name
    if cached.is_file() and cached.stat().st_mtime >= ts.stat().st_mtime:
        return cached
    return cached if compile_ts(ts, cached) else None


def _qt_catalog_dirs() -> list[Path]:
    """Where qtbase_<lang>.qm may be: resources/i18n (frozen builds put it there) and Qt's translations dir."""
    return [resource_path("i18n"), Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]


def _load(app: QCoreApplication, name: str, folder: Path) -> bool:
    translator = QTranslator(app)
    if not translator.load(name, str(folder)) or not app.installTranslator(translator):
        return False
    _installed.append(translator)
    return True


def install(app: QCoreApplication, lang: str) -> str:
    """Install the translators for `lang`; returns the language actually shown ("en" when loading fails)."""
    global _current
    uninstall(app)
    if lang not in TRANSLATED:
        return _current
    qm = qm_path(lang)
    if qm is None or not _load(app, qm.stem, qm.parent):
        if qm is not None:
            log.warning("Could not load %s: the window stays in English", qm)
        return _current
    for catalog in QT_CATALOGS:
        if not any(_load(app, f"{catalog}_{lang}", folder) for folder in _qt_catalog_dirs()):
            log.info("Qt's own %s_%s.qm was not found; standard dialogs stay in English", catalog, lang)
    QLocale.setDefault(QLocale(lang))
    _current = lang
    _warn_without_fonts(lang)
    return _current


FONT_HINT = {
    "ja": "install a Japanese font (Debian/Ubuntu: fonts-noto-cjk; Fedora: google-noto-sans-cjk-fonts)",
}


def _warn_without_fonts(lang: str) -> None:
    """Qt takes fonts from the system (fontconfig on Linux) and ships none: say when no font can show the language."""
    from PySide6.QtGui import QFontDatabase, QGuiApplication

    if lang != "ja" or not isinstance(QCoreApplication.instance(), QGuiApplication):
        return
    if not QFontDatabase.families(QFontDatabase.WritingSystem.Japanese):
        log.warning("No font for Japanese text on this system: %s", FONT_HINT[lang])


def uninstall(app: QCoreApplication) -> None:
    """Back to English (tests switch languages within one process)."""
    global _current
    while _installed:
        translator = _installed.pop()
        app.removeTranslator(translator)
        translator.deleteLater()
    if _current != "en":
        QLocale.setDefault(QLocale.system())
    _current = "en"
