"""AppController: engine lifecycle (open, models, settings changes, shutdown) tying the other controllers together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

from desktop.chat_controller import ChatController
from desktop.engine_host import EngineHost, EngineSnapshot, JobFailure, JobHandle, ModelCheck
from desktop.i18n import translate
from desktop.library_controller import LibraryController
from desktop.settings import Settings
from desktop.state_words import AskPlan, ask_plan, summarise
from engine import ChatStore, EngineConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelsView:
    """What the status bar and the models banner show.

    state: the embedder's (and the engine's): starting, checking, missing, downloading, loading, ready, error, closed.
    reranker: beside a ready embedder, the reranker's: "" (not known yet), ready, loading, missing, downloading,
    failed, or off (reranking disabled). It never holds up indexing or search: without it results are fused.
    """

    state: str
    message: str = ""
    device: str = ""
    fast_path: str | None = None
    cpu_runtime: str | None = None  # 'openvino' or 'torch' on a CPU (None before load and on GPUs)
    cpu_runtime_note: str = ""  # why a requested OpenVINO runtime fell back to torch
    missing: tuple[ModelCheck, ...] = ()
    download: tuple[str, int, int] | None = None
    cancelled: bool = False  # the message says a download was cancelled
    reranker: str = ""
    reranker_message: str = ""
    keyword_first: bool = False  # text is stored for keyword search before the embedding model is here


class AppController(QObject):
    """Starts the engine, loads models, applies settings, and shuts everything down in order.

    Signals:
        opened(EngineSnapshot); open_failed(str); models_changed(ModelsView); status_changed(dict); notice(str)
    """

    opened = Signal(object)
    open_failed = Signal(str)
    models_changed = Signal(object)
    status_changed = Signal(object)
    notice = Signal(str)

    def __init__(self, host: EngineHost, settings: Settings, config: EngineConfig, parent: QObject | None = None):
        super().__init__(parent)
        self.host = host
        self.settings = settings
        self.config = config
        self.models = ModelsView("starting")
        self.status: dict = {}
        self.is_open = False
        self._load_handle: JobHandle | None = None
        self._checks: tuple[ModelCheck, ...] = ()
        self.libraries = LibraryController(host, self)
        self.chat = ChatController(host, ChatStore.in_data_dir(config.data_dir), self.ask_plan, self)
        self.libraries.status_stale.connect(self.refresh_status)
        self.libraries.notice.connect(self.notice)

    def ask_plan(self) -> AskPlan:
        """How a question asked now is answered: searched by meaning, by keywords only, or told why not yet."""
        return ask_plan(self.models, summarise(self.libraries.views(), self.status))

    def _set_models(self, view: ModelsView) -> None:
        view = replace(view, keyword_first=self.status.get("dims") is not None)
        self.models = view
        self.libraries.set_models_ready(view.state == "ready")
        self.models_changed.emit(view)

    # -- start -------------------------------------------------------------------------------------
    def start(self) -> None:
        """Open the engine (store lock, manifest), then check and load the models, all on the engine thread."""
        self.host.submit("open", self.config, on_done=self._on_opened, on_error=self._on_open_failed)

    def _on_opened(self, snapshot: EngineSnapshot) -> None:
        self.is_open = True
        self.status = snapshot.status
        self.libraries.set_infos(snapshot.libraries)
        self.chat.refresh_history()
        self.opened.emit(snapshot)
        self.status_changed.emit(self.status)
        self._set_models(ModelsView("checking", device=self.config.device))
        self.host.submit("check_models", on_done=self._on_models_checked, on_error=self._on_models_failed)

    def _on_open_failed(self, failure: JobFailure) -> None:
        self.is_open = False
        self._set_models(ModelsView("closed", failure.message))
        self.open_failed.emit(failure.message)

    def _on_models_checked(self, checks: tuple[ModelCheck, ...]) -> None:
        self._checks = checks
        embedder = [c for c in checks if c.role == "embedder"]
        if embedder and not embedder[0].available:
            missing = tuple(c for c in checks if not c.available)
            self._set_models(
                ModelsView(
                    "missing", translate("AppController", "The models are not on this computer yet."), missing=missing
                )
            )
            self.libraries.index_all()  # text for keyword search now; vectors once the models are ready
        else:
            self._load(rerank=False)

    def _reranker_check(self) -> ModelCheck | None:
        return next((c for c in self._checks if c.role == "reranker"), None)

    # -- models ------------------------------------------------------------------------------------
    def load_models(self) -> None:
        """The Download / Try again action: fetch and load what is missing (with progress).

        With the embedder already loaded, only the reranker is fetched, and search and indexing go on meanwhile.
        """
        if self._load_handle is not None or not self.is_open:
            return
        if self.models.state == "ready":
            if self.models.reranker in ("missing", "failed"):
                self._load_reranker()
            return
        self._load(rerank=self.config.rerank)

    def _load(self, *, rerank: bool) -> None:
        """Load the embedder (and the reranker when asked: the first-run download fetches both)."""
        state = "downloading" if self.models.state == "missing" else "loading"
        self._set_models(ModelsView(state, missing=self.models.missing))
        self._submit_load(rerank, self._on_models_loaded, self._on_models_failed)

    def _load_reranker(self) -> None:
        check = self._reranker_check()
        downloading = check is not None and not check.available
        missing = (check,) if check is not None else ()
        self._set_models(replace(self.models, reranker="downloading" if downloading else "loading", missing=missing))
        self._submit_load(True, self._on_reranker_loaded, self._on_reranker_failed)

    def _submit_load(
        self, rerank: bool, on_done: Callable[[dict], None], on_error: Callable[[JobFailure], None]
    ) -> None:
        """The engine thread's load_models job, cancellable through `cancel_models`, its progress shown alike."""
        self._load_handle = self.host.submit(
            "load_models", rerank=rerank, on_done=on_done, on_error=on_error, on_progress=self._on_models_progress
        )

    def cancel_models(self) -> None:
        if self._load_handle is not None:
            self._load_handle.cancel()

    def _on_models_progress(self, update: tuple[str, int, int]) -> None:
        if self.models.state == "ready":
            self.models = replace(self.models, reranker="downloading", download=update)
        else:
            self.models = replace(self.models, state="downloading", download=update)
        self.models_changed.emit(self.models)

    def _on_models_loaded(self, state: dict) -> None:
        self._load_handle = None
        # Before the libraries' index jobs that _set_models queues: their first run would pay for these imports.
        self.host.submit("warm_up", on_error=lambda failure: log.warning("Warm-up failed: %s", failure.message))
        view = ModelsView(
            "ready",
            device=str(state.get("device") or ""),
            fast_path=state.get("fast_path"),
            cpu_runtime=state.get("cpu_runtime"),
            cpu_runtime_note=str(state.get("cpu_runtime_note") or ""),
        )
        check = self._reranker_check()
        if not self.config.rerank:
            view = replace(view, reranker="off")
        elif state.get("reranker") == "ready":
            view = replace(view, reranker="ready")
        elif check is not None and not check.available:
            view = replace(view, reranker="missing", missing=(check,))
        self._set_models(view)
        self.refresh_status()
        if self.config.rerank and check is not None and check.available and state.get("reranker") != "ready":
            self._load_reranker()  # on disk: load it now, after the embedder, so indexing starts first

    def _on_reranker_loaded(self, state: dict) -> None:
        self._load_handle = None
        self._checks = tuple(replace(c, available=True) if c.role == "reranker" else c for c in self._checks)
        self._set_models(replace(self.models, reranker="ready", missing=(), download=None, reranker_message=""))

    def _on_reranker_failed(self, failure: JobFailure) -> None:
        self._load_handle = None
        if failure.cancelled:
            check = self._reranker_check()
            self._set_models(
                replace(
                    self.models,
                    reranker="missing",
                    download=None,
                    missing=(check,) if check is not None else (),
                    reranker_message=translate("AppController", "Download cancelled."),
                )
            )
            return
        self._set_models(replace(self.models, reranker="failed", download=None, reranker_message=failure.message))

    def _on_models_failed(self, failure: JobFailure) -> None:
        self._load_handle = None
        if failure.cancelled:
            message = translate("AppController", "Download cancelled.")
            self._set_models(ModelsView("missing", message, missing=self.models.missing, cancelled=True))
            return
        self._set_models(ModelsView("error", failure.message, missing=self.models.missing))

    def use_model_folder(self, role: str, folder: str) -> None:
        """Point the embedder or reranker at a local model folder, then reload."""
        field = "embed_model" if role == "embedder" else "rerank_model"
        self.apply_config(self.config.with_changes(**{field: folder}))

    # -- status ------------------------------------------------------------------------------------
    def refresh_status(self) -> None:
        if self.is_open:
            self.host.submit("status", on_done=self._on_status)

    def _on_status(self, status: dict) -> None:
        self.status = status
        self.status_changed.emit(status)

    # -- settings ----------------------------------------------------------------------------------
    def apply_config(self, config: EngineConfig) -> None:
        """Save the settings and rebuild the engine with them; libraries re-index (new models re-embed)."""
        if config == self.config:
            return
        self.settings.save_engine_config(config)
        data_dir_changed = config.data_dir != self.config.data_dir
        self.config = config
        self.libraries.stop_all()
        self.chat.stop()
        self.host.drop(self._load_handle)
        self._load_handle = None
        if data_dir_changed:
            self.chat.set_store(ChatStore.in_data_dir(config.data_dir))
        self._set_models(ModelsView("starting"))
        self.host.submit("reconfigure", config, on_done=self._on_opened, on_error=self._on_open_failed)

    # -- shutdown ----------------------------------------------------------------------------------
    def shutdown(self) -> bool:
        """Cancel the question and indexing, close the engine on its thread, join the threads."""
        self.chat.stop()
        self.libraries.stop_watching()
        return self.host.shutdown()
