"""Qwen3-Embedding through sentence-transformers: lazy load, explicit cancellable batches, query prompts."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.cancel import CancelToken
from engine.config import DEFAULT_TASK
from engine.errors import ConfigError, EngineError, ModelLoadError
from engine.models.device import (
    apply_cpu_fast_path,
    choose_fast_path,
    effective_batch_size,
    note_not_on_cpu,
    resolve_device,
    torch_dtype_for,
)
from engine.models.model_files import ProgressCallback, hidden_size, resolve_model
from engine.models.runtime_choice import CalibrationSource, RuntimeStatus, bundled_calibration, choose_cpu_runtime


def query_prompt(task: str) -> str:
    """Qwen3-Embedding's instruction format; the query text follows directly after 'Query:'."""
    return f"Instruct: {task}\nQuery:"


class TokenCounter:
    """Counts tokens and maps them to character spans with the model's own (fast) tokenizer.

    Holds a private copy of the Rust backend with padding and truncation off: the Python wrapper mutates that
    state on every call, which races when loader threads count while the embedder encodes.
    """

    def __init__(self, tokenizer: Any) -> None:
        import copy

        self._backend = copy.deepcopy(tokenizer.backend_tokenizer)
        self._backend.no_truncation()
        self._backend.no_padding()

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """(start, end) character spans of each token, without special tokens and without truncation."""
        return [(int(s), int(e)) for s, e in self._encode(text).offsets]

    def count(self, text: str) -> int:
        return len(self._encode(text).ids)

    def _encode(self, text: str):
        # encode_batch releases the GIL (plain encode does not): a long document must not freeze the GUI thread.
        return self._backend.encode_batch([text], add_special_tokens=False)[0]


def normalize_rows(vectors: np.ndarray, dims: int | None) -> np.ndarray:
    """Matryoshka: keep the first `dims` components, then L2-normalise each row again (float32)."""
    out = np.asarray(vectors, dtype=np.float32)
    if dims is not None:
        out = out[..., :dims]
    norms = np.linalg.norm(out, axis=-1, keepdims=True)
    return np.ascontiguousarray(out / np.maximum(norms, 1e-12), dtype=np.float32)


class Embedder:
    """Embeds documents and queries; torch and sentence-transformers are imported only in `load()`."""

    def __init__(
        self,
        model: str,
        *,
        cache_dir: Path,
        device: str = "auto",
        dims: int | None = None,
        max_seq_length: int = 512,
        batch_size: int = 16,
        query_task: str = DEFAULT_TASK,
        cpu_fast_path: str = "auto",
        cpu_runtime: str = "auto",
        calibration: CalibrationSource | None = None,
    ) -> None:
        if dims is not None and dims < 1:
            raise ConfigError(f"Embedding dims must be positive, got {dims}.")
        if batch_size < 1 or max_seq_length < 1:
            raise ConfigError("batch_size and max_seq_length must be positive.")
        self._model_name = model
        self._cache_dir = Path(cache_dir)
        self._requested_device = device
        self._dims = dims
        self._max_seq_length = max_seq_length
        self._batch_size = batch_size
        self._query_task = query_task or DEFAULT_TASK
        self._requested_fast_path = cpu_fast_path
        self._requested_runtime = choose_cpu_runtime(cpu_runtime)  # validates the name now, not at load
        self._calibration = calibration
        self._runtime: RuntimeStatus | None = None
        self._lock = threading.Lock()
        # The model and its tokenizer are not safe to call from two threads at once; an indexing run embeds on its
        # own thread while a search from its progress callback may embed a query (see ingest/embed_worker.py).
        self._forward_lock = threading.Lock()
        self._st: Any = None
        self._full_dim: int | None = None
        self._device: str | None = None
        self._fast_path: str | None = None
        self._tokenizer: Any = None

    # --- state -----------------------------------------------------------------------------------------------------
    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def loaded(self) -> bool:
        return self._st is not None

    @property
    def device(self) -> str:
        """The resolved device ('cpu', 'cuda', ...); 'auto' etc. until loaded."""
        return self._device or self._requested_device

    @property
    def fast_path(self) -> str:
        """What the loaded model runs as: 'int8', 'bf16', 'fp32', or 'fp16' on a GPU ('' before load)."""
        return self._fast_path or ""

    @property
    def runtime(self) -> RuntimeStatus | None:
        """On a CPU after load: the runtime the model runs on ('torch' or 'openvino'), and why a requested OpenVINO
        runtime fell back to torch (its `note`); None before load and on GPUs."""
        return self._runtime

    @property
    def dimension(self) -> int:
        """Output dimension after Matryoshka truncation; loads the model when dims is not set explicitly."""
        if self._dims is not None and self._st is None:
            return self._dims
        self.load()
        assert self._full_dim is not None
        return min(self._dims or self._full_dim, self._full_dim)

    # --- loading ---------------------------------------------------------------------------------------------------
    def load(
        self,
        on_progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        on_convert: ProgressCallback | None = None,
    ) -> None:
        """Resolve (maybe download) the model and load it; safe to call again.

        With the OpenVINO CPU runtime the first load converts the model (minutes; `on_convert(step, steps)`, and
        `cancel` is checked between steps); a cancel raises Cancelled and leaves nothing loaded or cached.
        """
        with self._lock:
            if self._st is not None:
                return
            path = resolve_model(self._model_name, cache_dir=self._cache_dir, on_progress=on_progress, cancel=cancel)
            device = resolve_device(self._requested_device)
            fast_path = choose_fast_path(self._requested_fast_path, device, width=hidden_size(path))
            st = self._load_sentence_transformer(path, device, fast_path)
            full_dim = _embedding_dimension(st, self._model_name)
            if self._dims is not None and self._dims > full_dim:
                raise ConfigError(
                    f"Embedding dims {self._dims} exceed the model's dimension {full_dim} ({self._model_name})."
                )
            runtime = None
            if device == "cpu":
                runtime = self._cpu_runtime(st, path, fast_path, on_convert, cancel)
                if runtime.runtime == "openvino":
                    fast_path = runtime.precision
                else:
                    fast_path = apply_cpu_fast_path(st, fast_path)  # never raises: a patch that fails leaves stock code
            else:
                note_not_on_cpu(device)
            self._runtime = runtime
            self._st, self._full_dim, self._device, self._fast_path = st, full_dim, device, fast_path
            self._tokenizer = st.tokenizer

    def _cpu_runtime(
        self,
        st: Any,
        path: Path,
        fast_path: str,
        on_convert: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> RuntimeStatus:
        if self._requested_runtime != "openvino":
            return RuntimeStatus("torch", fast_path)
        from engine.models.openvino_runtime import try_install

        return try_install(
            st,
            path,
            fast_path,
            self._cache_dir / "openvino",
            calibration=self._calibration or bundled_calibration,
            on_progress=on_convert,
            cancel=cancel,
        )

    def _load_sentence_transformer(self, path: Path, device: str, fast_path: str) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # a broken or partial install
            raise ModelLoadError(f"sentence-transformers is not installed or failed to import: {exc}") from exc
        model_kwargs: dict[str, Any] = {"dtype": torch_dtype_for(device, fast_path)}
        if device != "cpu":
            model_kwargs["attn_implementation"] = "sdpa"
        try:
            st = SentenceTransformer(str(path), device=device, local_files_only=True, model_kwargs=model_kwargs)
        except Exception as exc:
            raise ModelLoadError(f"Could not load embedding model {self._model_name!r} from {path}: {exc}") from exc
        # Qwen3 allows 32k tokens; long chunks would otherwise blow memory.
        limit = getattr(getattr(st[0], "auto_model", None), "config", None)
        limit = getattr(limit, "max_position_embeddings", None)
        # ...but never past the model's own positions (all-MiniLM has 512).
        st.max_seq_length = min(self._max_seq_length, limit) if isinstance(limit, int) else self._max_seq_length
        st.eval()
        return st

    def token_counter(self) -> TokenCounter:
        """A TokenCounter for chunking; loads only the tokenizer if the model is not loaded yet."""
        if self._tokenizer is None:
            self._tokenizer = self._load_tokenizer()
        return TokenCounter(self._tokenizer)

    def _load_tokenizer(self) -> Any:
        path = resolve_model(self._model_name, cache_dir=self._cache_dir)
        try:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except Exception as exc:
            raise ModelLoadError(f"Could not load the tokenizer of {self._model_name!r} from {path}: {exc}") from exc
        if not getattr(tokenizer, "is_fast", False):
            raise ModelLoadError(f"The tokenizer of {self._model_name!r} is not a fast tokenizer (no offsets).")
        return tokenizer

    # --- embedding -------------------------------------------------------------------------------------------------
    def embed_documents(self, texts: Sequence[str], *, cancel: CancelToken | None = None) -> np.ndarray:
        """float32 rows, L2-normalised, in input order; batches are length-sorted and cancellable between batches."""
        self.load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        step = effective_batch_size(self._device, self._fast_path, self._batch_size)
        for start in range(0, len(order), step):
            if cancel is not None:
                cancel.raise_if_cancelled()
            idx = order[start : start + step]
            out[idx] = self._encode([texts[i] for i in idx], prompt=None)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One float32 vector for a search query, with Qwen3's instruction prompt."""
        self.load()
        return self._encode([text], prompt=self._query_prompt())[0]

    def unknown_share(self, text: str) -> float:
        """The share of the text's tokens the model's vocabulary does not know (its [UNK] token), 0..1.

        An English-only model (all-MiniLM) maps 3-26 % of a Japanese question to [UNK]; its vector then says little
        about the question. Byte-level vocabularies (Qwen3) have no unknown token: always 0.
        """
        if self._tokenizer is None:
            self._tokenizer = self._load_tokenizer()
        unk = getattr(self._tokenizer, "unk_token_id", None)
        if unk is None:
            return 0.0
        ids = self._tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids.count(unk) / len(ids) if ids else 0.0

    def script_unknown_share(self, script: str) -> float:
        """unknown_share of a plain sentence in a script (engine/models/script_probe.py), computed once per script."""
        from engine.models.script_probe import SAMPLES

        cache = self.__dict__.setdefault("_script_shares", {})
        if script not in cache:
            cache[script] = self.unknown_share(SAMPLES[script])
        return cache[script]

    def _query_prompt(self) -> str | None:
        prompts = dict(getattr(self._st, "prompts", None) or {})
        model_prompt = prompts.get("query")
        if not model_prompt:
            return None  # not an instruction-tuned model (e.g. all-MiniLM): queries are embedded as they are
        if self._query_task == DEFAULT_TASK:
            return model_prompt
        return query_prompt(self._query_task)

    def _encode(self, texts: list[str], prompt: str | None) -> np.ndarray:
        try:
            with self._forward_lock:
                vectors = self._st.encode(
                    texts,
                    prompt=prompt if prompt is not None else "",
                    batch_size=len(texts),
                    convert_to_numpy=True,
                    normalize_embeddings=False,
                    show_progress_bar=False,
                )
        except EngineError:
            raise
        except Exception as exc:  # e.g. out of memory: the job fails with a message, the app stays up
            raise EngineError(f"Embedding with {self._model_name!r} failed: {exc}") from exc
        return normalize_rows(vectors, self._dims)


def _embedding_dimension(st: Any, model: str) -> int:
    getter = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
    dim = getter()
    if not dim:
        raise ModelLoadError(f"Model {model!r} does not report an embedding dimension.")
    return int(dim)
