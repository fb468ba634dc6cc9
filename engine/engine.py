"""Engine: the one object desktop/ and the CLI talk to; builds the parts from an EngineConfig.

Nothing heavy happens in the constructor: the store opens in `open()`, models load on first use or in
`load_models()`, so a window can appear before torch is imported. All methods are meant for one thread (the engine
thread); `ask`'s streaming part only touches the answerer and may run elsewhere.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from engine import serving
from engine.answer.followup import PriorTurn
from engine.answer.secrets import resolve_store_token
from engine.cancel import CancelToken
from engine.chats import ChatStore, Turn
from engine.config import EngineConfig
from engine.errors import ConfigError, ModelLoadError, StoreError, StoreLockedError
from engine.ingest.manifest import Manifest
from engine.ingest.reconcile import reconcile, recover
from engine.store.filters import is_server_uri
from engine.types import (
    Answer,
    FileOutcome,
    Hit,
    IndexReport,
    LibraryInfo,
    Progress,
    QueryRewrite,
    Repair,
    SearchHits,
)

if TYPE_CHECKING:  # the real imports happen on first use, so that a window can appear before torch loads
    from filelock import BaseFileLock

    from engine.answer.answerer import Answerer
    from engine.models.embedder import Embedder
    from engine.models.reranker import Reranker
    from engine.store.chunk_store import ChunkStore

LOCK_NAME = "tansaku.lock"


def normalise_library(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


class Engine:
    """Facade over manifest, store, models, retriever and answerer."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._lock: BaseFileLock | None = None
        self._manifest: Manifest | None = None
        self._store: ChunkStore | None = None
        self._embedder: Embedder | None = None
        self._reranker: Reranker | None = None
        self._answerer: Answerer | None = None
        self._repairs: list[Repair] = []  # what this session found wrong with the index and put right
        # The previous model's index answers while a new one fills.
        self._serving = serving.ServingIndex(config, self._make_embedder)

    # -- lifecycle ----------------------------------------------------------------------------
    def open(self) -> None:
        """Take the data-dir lock and open the manifest; the store opens once its dimension is known."""
        if self._manifest is not None:
            return
        data_dir = self.config.data_dir
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the data folder {data_dir}: {exc.strerror or exc}") from exc
        self._acquire_lock(data_dir)
        try:
            self._manifest = Manifest(self.config.manifest_path)
            if self._manifest.rebuilt_from is not None or (self._manifest.created and self._has_lite_data()):
                self._recover_manifest()
        except BaseException:
            self.close()
            raise

    def _has_lite_data(self) -> bool:
        """A Milvus Lite folder from earlier runs (a server's collections are never adopted by a new manifest)."""
        uri = self.config.milvus_uri
        return not is_server_uri(uri) and Path(uri).is_dir()

    def _acquire_lock(self, data_dir: Path) -> None:
        import filelock

        lock = filelock.FileLock(str(data_dir / LOCK_NAME), timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout as exc:
            raise StoreLockedError(
                f"Another Tansaku process (the app or a command) is using {data_dir}. "
                "Close it first, or choose another data folder with --data-dir."
            ) from exc
        except OSError as exc:
            raise StoreError(f"Cannot lock the data folder {data_dir}: {exc.strerror or exc}") from exc
        self._lock = lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def close(self) -> None:
        self._serving.drop()
        if self._store is not None:
            try:
                self._store.close()
            finally:
                self._store = None
        if self._manifest is not None:
            self._manifest.close()
            self._manifest = None
        self._release_lock()

    def __enter__(self) -> Engine:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            self.open()
        assert self._manifest is not None
        return self._manifest

    # -- models -------------------------------------------------------------------------------
    def _make_embedder(self, model: str, dims: int | None):
        from engine.models.embedder import Embedder

        c = self.config
        return Embedder(
            model,
            cache_dir=c.models_dir,
            device=c.device,
            dims=dims,
            max_seq_length=c.chunk_tokens + 64,
            batch_size=c.embed_batch_size,
            query_task=c.query_task,
            cpu_fast_path=c.cpu_fast_path,
            cpu_runtime=c.cpu_runtime,
            calibration=self._calibration_texts,
        )

    def _calibration_texts(self, n: int) -> list[str]:
        """Static int8 calibration for the OpenVINO runtime: up to n of the user's stored chunks (from the first 4n
        in the store), or the bundled samples before there are enough."""
        from itertools import islice

        from engine.models.runtime_choice import calibration_sample

        stored: list[str] = []
        try:
            store = self.store(need_model=False)
            if store is not None:
                stored = [chunk.text for chunk in islice(store.iter_chunks(), 4 * n)]
        except Exception:  # an unreadable store only means the bundled samples calibrate
            stored = []
        return calibration_sample(stored, n)

    @property
    def embedder(self):
        return self._load_embedder()

    def _load_embedder(self, *, cancel: CancelToken | None = None, on_convert=None):
        """The embedder, loaded (created on first use); its dimension is remembered, so that keyword search still
        knows the index's schema on a later run without the model."""
        if self._embedder is None:
            self._embedder = self._make_embedder(self.config.embed_model, self.config.dims)
        if not self._embedder.loaded:
            self._embedder.load(cancel=cancel, on_convert=on_convert)
            self._remember_dims(self._embedder.dimension)
        return self._embedder

    @property
    def reranker(self):
        if self._reranker is None:
            from engine.models.reranker import Reranker

            c = self.config
            self._reranker = Reranker(
                c.rerank_model,
                cache_dir=c.models_dir,
                device=c.device,
                batch_size=c.rerank_batch_size,
                max_doc_tokens=c.rerank_max_doc_tokens,
                instruction=c.rerank_instruction,
                cpu_fast_path=c.cpu_fast_path,
                cache_size=c.rerank_cache_size,
                speed_store=c.data_dir / "rerank_speed.json",
            )
        if not self._reranker.loaded:
            self._reranker.load()
        return self._reranker

    def load_models(
        self,
        *,
        on_progress: Callable[[str, int, int], None] | None = None,
        cancel: CancelToken | None = None,
        rerank: bool | None = None,
    ) -> None:
        """Load (downloading on first run, with progress) the embedder and, if enabled, the reranker."""
        from engine.models.model_files import resolve_model

        wanted = [self.config.embed_model]
        if self.config.rerank if rerank is None else rerank:
            wanted.append(self.config.rerank_model)
        for model in wanted:
            report = (lambda done, total, m=model: on_progress(m, done, total)) if on_progress else None
            resolve_model(model, cache_dir=self.config.models_dir, on_progress=report, cancel=cancel)
        # The OpenVINO runtime converts on its first load: report it as a step of its own, cancellable.
        convert = (lambda done, total: on_progress("OpenVINO conversion", done, total)) if on_progress else None
        self._load_embedder(cancel=cancel, on_convert=convert)
        if len(wanted) > 1:
            _ = self.reranker

    def models_state(self) -> dict:
        def state(model) -> str:
            if model is None:
                return "not_loaded"
            return "ready" if model.loaded else "not_loaded"

        emb = self._embedder
        return {
            "embedder": state(emb),
            "reranker": state(self._reranker),
            "device": getattr(emb, "device", None) or self.config.device,
            "fast_path": getattr(emb, "fast_path", None),
            # torch or openvino on a CPU, and why OpenVINO fell back to torch when it was asked for
            "cpu_runtime": getattr(getattr(emb, "runtime", None), "runtime", None),
            "cpu_runtime_note": getattr(getattr(emb, "runtime", None), "note", ""),
            "embed_model": self.config.embed_model,
            "rerank_model": self.config.rerank_model,
            "dims": self.known_dims(),
        }

    def _dims_key(self) -> str:
        return f"dims:{self.config.embed_model}:{self.config.dims}"

    def _remember_dims(self, dims: int) -> None:
        self.manifest.set_meta(self._dims_key(), str(dims))

    def known_dims(self) -> int | None:
        """The embedding dimension for the configured model without loading it: from an earlier load, else from
        the model's id or config files (engine.models.dims); None when neither tells."""
        if self._embedder is not None and self._embedder.loaded:
            return int(self._embedder.dimension)
        value = self.manifest.get_meta(self._dims_key())
        if value:
            return int(value)
        from engine.models.dims import dims_without_weights

        c = self.config
        return dims_without_weights(c.embed_model, c.models_dir, c.dims)

    def embedder_unavailable(self) -> str:
        """Why the embedder cannot run right now without a download ("" when it can). Never downloads."""
        if self._embedder is not None and self._embedder.loaded:
            return ""
        from engine.models.model_files import is_hf_id, is_model_available

        model = self.config.embed_model
        if is_model_available(model, self.config.models_dir):
            return ""
        if is_hf_id(model):
            return f"{model} is not downloaded"
        return f"{model} is not a model folder"

    def _indexing_embedder(self, embed: bool | None) -> tuple[Embedder | None, str]:
        """The embedder an indexing run uses, or None and why: text is then stored for keyword search only."""
        if embed is False:
            return None, "embedding was not asked for"
        if embed is None:
            missing = self.embedder_unavailable()
            if missing:
                return None, missing
            try:
                return self.embedder, ""
            except ModelLoadError as exc:  # present but unloadable: keyword search still gets the text
                return None, str(exc)
        return self.embedder, ""

    # -- store --------------------------------------------------------------------------------
    @property
    def collection(self) -> str:
        from engine.store.chunk_store import ChunkStore

        dims = self.known_dims()
        if dims is None:
            dims = self.embedder.dimension
        return ChunkStore.collection_name_for(self.config.embed_model, dims)

    def store(self, *, need_model: bool = True):
        """The open ChunkStore; loads the embedder first only when the dimension is not yet known."""
        if self._store is not None:
            return self._store
        from engine.store.chunk_store import ChunkStore

        dims = self.known_dims()
        if dims is None:
            if not need_model:
                return None
            dims = self.embedder.dimension
        c = self.config
        store = ChunkStore(
            c.milvus_uri,
            token=resolve_store_token(c.store_uri, c.store_token),
            collection=ChunkStore.collection_name_for(c.embed_model, dims),
            dims=dims,
            model_name=c.embed_model,
        )
        store.open()
        try:
            self._repairs += reconcile(self.manifest, store, store.collection)
        except StoreError:
            store.close()
            raise
        self._store = store
        return store

    def _recover_manifest(self) -> None:
        """A new or rebuilt manifest learns the libraries and files the store already holds (nothing re-embedded)."""
        from engine.store.chunk_store import ChunkStore

        manifest, c = self.manifest, self.config
        token = resolve_store_token(c.store_uri, c.store_token)
        indexes = ChunkStore.existing_indexes(c.milvus_uri, token=token)
        recovered = 0
        for collection, model, dims in indexes:
            store = ChunkStore(c.milvus_uri, token=token, collection=collection, dims=dims, model_name=model)
            store.open(create=False)
            try:
                recovered += recover(manifest, store, collection)
            finally:
                store.close()
        mine = [dims for _name, model, dims in indexes if model == c.embed_model and c.dims in (None, dims)]
        if mine:
            self._remember_dims(max(mine))  # without a dims setting the model's full dimension is the largest
        backup = manifest.rebuilt_from
        if recovered or backup is not None:
            self._repairs.append(Repair("manifest_rebuilt", None, recovered, str(backup) if backup else ""))

    # -- libraries ----------------------------------------------------------------------------
    def add_library(self, path: str | Path) -> str:
        library = normalise_library(path)
        if not Path(library).is_dir():
            raise ConfigError(f"{library} is not a folder.")
        # The same folder named in another Unicode normalisation (ガ as カ+゛, as macOS gives names) is the same library.
        same = [known for known in self.manifest.library_paths() if _nfc(known) == _nfc(library)]
        if same and Path(same[0]).is_dir() and os.path.samefile(same[0], library):
            return same[0]
        self.manifest.add_library(library)
        return library

    def remove_library(self, path: str | Path) -> None:
        library = normalise_library(path)
        if not self.manifest.has_library(library):
            raise ConfigError(f"{library} is not a library.")
        store = self.store(need_model=False)
        if store is not None:
            store.delete_library(library)
            store.flush()
        fallback = self._serving_fallback()
        if fallback is not None:
            fallback.store.delete_library(library)
            fallback.store.flush()
        self.manifest.remove_library(library)
        serving.forget_library(self.manifest, library)

    def libraries(self) -> list[LibraryInfo]:
        dims = self.known_dims()
        if dims is None:
            return [
                LibraryInfo(p, 0, 0, 0, 0, 0, 0, None, self.manifest.get_excludes(p))
                for p in self.manifest.library_paths()
            ]
        return self.manifest.library_infos(self.collection)

    def set_excludes(self, library: str, patterns: Sequence[str]) -> None:
        self.manifest.set_excludes(normalise_library(library), patterns)

    def get_excludes(self, library: str) -> tuple[str, ...]:
        return self.manifest.get_excludes(normalise_library(library))

    def index_library(
        self,
        path: str | Path,
        *,
        cancel: CancelToken | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        retry_failed: bool = False,
        only_paths: set[str] | None = None,
        embed: bool | None = None,
    ) -> IndexReport:
        """Bring a library's index up to date. `embed` None (automatic): embed when the embedding model is on this
        machine, else store text only (keyword search works; `files_awaiting_embedding` says how many files wait and
        a later run embeds them without reading them again). True loads the model, downloading it if need be; False
        stores text only. Never downloads unless embed is True."""
        from engine.ingest.indexer import Indexer

        library = self.add_library(path)
        self.manifest.set_meta("active_embed_model", self.config.embed_model)
        self.manifest.set_meta("active_dims", "" if self.config.dims is None else str(self.config.dims))
        embedder, unavailable = self._indexing_embedder(embed)
        store = self.store(need_model=False) if embedder is None else self.store()
        if store is None:
            raise ModelLoadError(
                f"Nothing can be stored before the embedding model is on this computer ({unavailable}): its "
                "dimension, which the index is built for, is not known without it. Keyword search starts once the "
                "model is downloaded or its folder chosen."
            )
        indexer = Indexer(self.config, self.manifest, store, embedder, self.collection)
        report = indexer.index_library(
            library, cancel=cancel, on_progress=on_progress, retry_failed=retry_failed, only_paths=only_paths
        )
        if embedder is None:
            return replace(report, embedder_unavailable=unavailable)
        if not report.cancelled and only_paths is None:
            serving.mark_complete(self.manifest, self.collection, library)
            self._serving_fallback()  # promotes this index once it covers every library
        return report

    def index_changes(
        self,
        batch,
        *,
        cancel: CancelToken | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> IndexReport:
        """Apply a watcher ChangeBatch: only its paths, or the whole library when it asks for a rescan."""
        only = None if batch.rescan else set(batch.paths)
        return self.index_library(batch.library, cancel=cancel, on_progress=on_progress, only_paths=only)

    def report(self, *, library: str | None = None, statuses: Sequence[str] | None = None) -> list[FileOutcome]:
        if self.known_dims() is None:
            return []
        lib = normalise_library(library) if library else None
        return self.manifest.outcomes(self.collection, library=lib, statuses=statuses)

    def status(self) -> dict:
        dims = self.known_dims()
        libs = self.libraries()
        files = sum(lib.files for lib in libs)
        chunks = sum(lib.chunks for lib in libs)
        return {
            "files": files,
            "chunks": chunks,
            "libraries": [
                {
                    "path": lib.path,
                    "files": lib.files,
                    "chunks": lib.chunks,
                    "indexed": lib.indexed,
                    "skipped": lib.skipped,
                    "failed": lib.failed,
                    "pending": lib.pending,
                    "last_indexed": lib.last_indexed,
                }
                for lib in libs
            ],
            "model": self.config.embed_model,
            "dims": dims,
            "store": self.config.milvus_uri,
            "data_dir": str(self.config.data_dir),
            "collection": self.collection if dims is not None else None,
            "answering_from": self.answering_from(),
            "repairs": [asdict(r) for r in self.repairs()],
            "patches": self.patch_states(),
        }

    def repairs(self) -> list[Repair]:
        """What was repaired since this engine opened (a damaged manifest, orphan chunks, files to redo)."""
        if self._store is None and self.known_dims() is not None:
            self.store(need_model=False)  # opening the store runs the consistency check
        return list(self._repairs)

    def patch_states(self) -> dict[str, dict[str, object]]:
        """name -> {"active", "why"} for each patch of a dependency's internals, as it stands in this process.

        Milvus Lite's is tried here when nothing opened the store yet (what opening it would do; no torch needed),
        so that a fresh `tansaku status` can tell; the model patches are known once a model has loaded.
        """
        from engine import patches

        if patches.state(patches.MILVUS_LITE_BM25) is None:
            if is_server_uri(self.config.milvus_uri):
                patches.unused(patches.MILVUS_LITE_BM25, "not used: the store is a Milvus server")
            else:
                from engine.store.lite_patch import install

                install()
        return patches.states()

    # -- retrieval + answers ------------------------------------------------------------------
    def _retriever(self, mode: str):
        from engine.search.retriever import Retriever

        fallback = self._serving_fallback()
        if fallback is not None:
            return Retriever(self.config, fallback.store, fallback.loaded_embedder, self._search_reranker)
        store = self.store(need_model=mode != "bm25")
        if store is None:
            raise StoreError("Nothing is indexed yet: add a folder first.")
        return Retriever(self.config, store, lambda: self.embedder, self._search_reranker)

    def _search_reranker(self):
        """The reranker for a search; a load failure is told apart from the embedder's, so search can go on."""
        try:
            return self.reranker
        except ModelLoadError as exc:
            from engine.search.retriever import RerankerFailed

            raise RerankerFailed(str(exc).split(". ")[0]) from exc

    def reranker_unavailable(self) -> str:
        """Why the reranker cannot rank right now without a download ("" when it can): search never waits for one."""
        if self._reranker is not None and self._reranker.loaded:
            return ""
        from engine.models.model_files import is_model_available

        model = self.config.rerank_model
        if is_model_available(model, self.config.models_dir):
            return ""
        return f"{model} is not downloaded"

    # -- which index answers --------------------------------------------------------------------
    def _current_identity(self) -> serving.IndexIdentity | None:
        return self._serving.identity_for(self.known_dims())

    def answering_from(self) -> dict | None:
        """The index questions are answered from; `previous` is True while a new model's index is still filling."""
        fallback = self._serving_fallback()
        identity = fallback.identity if fallback is not None else self._current_identity()
        if identity is None:
            return None
        return {"model": identity.embed_model, "collection": identity.collection, "previous": fallback is not None}

    def _serving_fallback(self) -> serving.Fallback | None:
        return self._serving.fallback(self.manifest, self._current_identity())

    def search(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: str = "hybrid",
        rerank: bool | None = None,
        filters=None,
        cancel: CancelToken | None = None,
        on_fused: Callable[[SearchHits], None] | None = None,
        rerank_budget_s: float | None = None,
        on_keywords: Callable[[SearchHits], None] | None = None,
    ) -> SearchHits:
        """The top hits for a question. Never waits for the reranker: when its model is not on this machine, or does
        not load, the hits are ranked by fusion and `SearchHits.rerank_unavailable` says why.

        Progressive results: when the reranker is to run, `on_fused` is called first with the fused top k
        (`rerank_pending` set), as soon as the store answers; the return value is the reranked list. The reranker
        spends at most `rerank_budget_s` seconds (None: the config's budget for its device; 0: no limit), scoring the
        candidates in fused order; `SearchHits.reranked_count` says how many it reached. Before all that, a hybrid
        search calls `on_keywords` with the keyword matches (`early_stage` "keywords"), in milliseconds: the
        question's embedding, which the fused list waits for, takes about a second on a laptop CPU."""
        dense_unavailable = ""
        if mode == "hybrid" and self._serving_fallback() is None:
            dense_unavailable = self.embedder_unavailable()
            if dense_unavailable:  # keyword search works on stored text; the model is never downloaded for a query
                mode = "bm25"
        do_rerank = self.config.rerank if rerank is None else rerank
        unavailable = self.reranker_unavailable() if do_rerank else ""
        hits = self._retriever(mode).search(
            question,
            k=k,
            mode=mode,
            rerank=do_rerank and not unavailable,
            filters=filters,
            cancel=cancel,
            on_fused=on_fused,
            budget_s=rerank_budget_s,
            on_keywords=on_keywords,
        )
        hits.rerank_unavailable = hits.rerank_unavailable or unavailable
        hits.dense_unavailable = dense_unavailable
        return hits

    @property
    def answerer(self):
        if self._answerer is None:
            from engine.answer.answerer import Answerer

            self._answerer = Answerer(self.config)
        return self._answerer

    # -- chats --------------------------------------------------------------------------------------
    @property
    def chats(self) -> ChatStore:
        """The saved chats in this data folder (the window's and the CLI's alike)."""
        return ChatStore.in_data_dir(self.config.data_dir)

    def rewrite_query(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        cancel: CancelToken | None = None,
        use_llm: bool = True,
    ) -> QueryRewrite:
        """What to search for a question asked after `history`: as typed when it stands alone, else rewritten (by
        the answer model when one is configured and use_llm, by rule otherwise). Touches no store or model."""
        return self.answerer.rewrite_query(question, prior_turns(history), cancel=cancel, use_llm=use_llm)

    def ask(
        self,
        question: str,
        *,
        on_token: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
        k: int | None = None,
        mode: str = "hybrid",
        rerank: bool | None = None,
        filters=None,
        hits: Sequence[Hit] | None = None,
        history: Sequence[Turn] = (),
        on_fused: Callable[[SearchHits], None] | None = None,
        on_sources: Callable[[SearchHits], None] | None = None,
        on_keywords: Callable[[SearchHits], None] | None = None,
    ) -> Answer:
        """Retrieve (unless hits are given; a follow-up searches its rewrite), then abstain, answer search-only, or
        stream from the LLM with the earlier turns of the chat. `on_keywords` and `on_fused` get the early lists (see
        `search`), `on_sources` the final ranking the answer is built on, before the answer request is sent."""
        if hits is None:
            query = self.rewrite_query(question, history, cancel=cancel).query
            hits = self.search(
                query,
                k=k,
                mode=mode,
                rerank=rerank,
                filters=filters,
                cancel=cancel,
                on_fused=on_fused,
                on_keywords=on_keywords,
            )
            if on_sources is not None:
                on_sources(hits)
        # `hits` stays a SearchHits: the answer policy reads its rerank counts (see policy.unscored_candidates_remain).
        return self.answer(question, hits, on_token=on_token, cancel=cancel, history=history)

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        on_token: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """The answering half of `ask`; touches no store or model, so it may run on its own thread. Pass `search`'s
        SearchHits as they are: after a partial rerank their counts keep the answer from abstaining too early."""
        return self.answerer.answer(question, hits, on_token=on_token, cancel=cancel, history=prior_turns(history))

    def preview(self, question: str, hits: Sequence[Hit], *, history: Sequence[Turn] = (), searched_for: str = ""):
        return self.answerer.preview(question, list(hits), history=prior_turns(history), searched_for=searched_for)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def prior_turns(turns: Sequence[Turn]) -> tuple[PriorTurn, ...]:
    """Earlier turns as the answer stage sees them: an answer's text only when a model wrote it."""
    out = []
    for turn in turns:
        answer = turn.text if turn.mode == "llm" or (turn.mode == "error" and turn.text) else ""
        out.append(PriorTurn(turn.question, answer, tuple(Path(h.chunk.path).name for h in turn.hits)))
    return tuple(out)


__all__ = ["Engine", "normalise_library", "prior_turns"]
