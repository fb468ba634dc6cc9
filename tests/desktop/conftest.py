"""Desktop test fixtures: offscreen Qt, Qt warnings fail the test, and a real window over a real Engine (tiny models)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No OS keyring and no key from the environment: tests decide whether an answer endpoint exists.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
# Windows built by these tests are English whatever the machine's locale (app processes they start included);
# tests/desktop/test_i18n.py installs Japanese explicitly.
os.environ["TANSAKU_LANGUAGE"] = "en"

DESKTOP_TESTS = Path(__file__).resolve().parent
# Said by the offscreen platform plugin itself (it cannot raise or size real windows); not about our code.
PLATFORM_NOISE = (r"^This plugin does not support (propagateSizeHints|raise|requestActivate|grabbing)\b",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Any Qt warning (or worse) logged during a desktop test fails it."""
    for item in items:
        if DESKTOP_TESTS in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*PLATFORM_NOISE))


@pytest.fixture(autouse=True)
def _no_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A small library: three short documents about different things."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lighthouse.md").write_text(
        "# Lighthouses\n\nThe lighthouse keeper lights the lamp at dusk. Lighthouses guide ships along the coast.\n",
        encoding="utf-8",
    )
    (folder / "bread.txt").write_text(
        "Sourdough bread rises slowly because wild yeast ferments the dough overnight.\n", encoding="utf-8"
    )
    (folder / "orbits.md").write_text(
        "# Orbits\n\nA satellite in low orbit circles the earth every ninety minutes.\n", encoding="utf-8"
    )
    return folder


@pytest.fixture
def many_docs(tmp_path: Path) -> Path:
    """A library big enough that indexing is still running when a test pauses, cancels or closes."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(120):
        (folder / f"note-{i:03d}.txt").write_text(
            f"Note {i}. The lighthouse keeper wrote entry {i} about ships, storms and the lamp.\n" * 3,
            encoding="utf-8",
        )
    return folder


@pytest.fixture
def engine_config(tmp_path: Path, tiny_models):
    from engine.config import EngineConfig

    return EngineConfig(
        data_dir=tmp_path / "data",
        embed_model=str(tiny_models.embed_dir),
        rerank_model=str(tiny_models.rerank_dir),
        device="cpu",
        cpu_fast_path="fp32",
    )


@pytest.fixture
def make_window(qtbot, tmp_path: Path) -> Iterator[Callable[..., object]]:
    """Build a started MainWindow over a real EngineHost/Engine; dialogs that would block are recorded instead."""
    from desktop.controller import AppController
    from desktop.engine_host import EngineHost
    from desktop.main_window import MainWindow
    from desktop.settings import Settings

    windows: list[MainWindow] = []

    def make(config, *, start: bool = True, settings_file: Path | None = None) -> MainWindow:
        settings = Settings.from_file(settings_file or tmp_path / "settings.ini")
        host = EngineHost()
        controller = AppController(host, settings, config)
        window = MainWindow(controller)
        window.errors = []  # type: ignore[attr-defined]
        window.show_error = lambda title, text: window.errors.append((title, text))  # type: ignore[method-assign]
        window.confirm = lambda title, text: True  # type: ignore[method-assign]
        qtbot.addWidget(window)
        window.show()
        if start:
            controller.start()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        window.controller.host.shutdown()
