"""Qwen3-Reranker: P(yes) from the last position only, with length-sorted, cancellable batches."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.cancel import CancelToken
from engine.config import DEFAULT_TASK
from engine.errors import Cancelled, ConfigError, EngineError, ModelLoadError
from engine.models.device import (
    apply_cpu_fast_path,
    choose_fast_path,
    effective_batch_size,
    note_not_on_cpu,
    resolve_device,
    torch_dtype_for,
)
from engine.models.model_files import ProgressCallback, resolve_model
from engine.models.pass_rate import PassRate, machine_key
from engine.models.score_cache import PairKey, ScoreCache, pair_key

log = logging.getLogger(__name__)

# The Qwen3-Reranker model card's chat frame around each (instruction, query, document) triple.
PREFIX = (
    "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct "
    'provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n'
)
SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"


def format_pair(instruction: str, query: str, document: str) -> str:
    return f"<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {document}"


class Reranker:
    """Scores (query, document) pairs with a Qwen3-Reranker causal LM; heavy imports happen in `load()`."""

    def __init__(
        self,
        model: str,
        *,
        cache_dir: Path,
        device: str = "auto",
        batch_size: int = 8,
        max_doc_tokens: int = 512,
        instruction: str = DEFAULT_TASK,
        cpu_fast_path: str = "auto",
        cache_size: int = 4096,
        speed_store: Path | None = None,
    ) -> None:
        if batch_size < 1 or max_doc_tokens < 1:
            raise ConfigError("Reranker batch_size and max_doc_tokens must be positive.")
        self._model_name = model
        self._cache_dir = Path(cache_dir)
        self._requested_device = device
        self._batch_size = batch_size
        self._max_doc_tokens = max_doc_tokens
        self._instruction = instruction or DEFAULT_TASK
        self._requested_fast_path = cpu_fast_path
        self._lock = threading.Lock()
        self._base: Any = None  # the decoder stack (model.model); the lm_head is never run over the vocabulary
        self._tokenizer: Any = None
        self._head: Any = None  # rows [no, yes] of the output embedding, shape (2, hidden)
        self._head_bias: Any = None
        self._prefix_ids: list[int] = []
        self._suffix_ids: list[int] = []
        self._device: str | None = None
        self._fast_path: str | None = None
        self._cache_kw = "past_key_values"
        self._cache = ScoreCache(cache_size)  # one engine thread uses a Reranker: no lock needed
        self._cancel: CancelToken | None = None  # the token of the batch being scored, for the layer hooks
        self._speed_store = speed_store  # where the measured speed is kept between runs (None: not kept)
        self._rate = PassRate()  # seconds per token of this machine's passes, for the time budget's plan (see load)
        self._ids_query: str | None = None  # the query whose pairs `_ids_memo` holds (one query at a time)
        self._ids_memo: dict[str, list[int]] = {}  # document -> pair token ids: a plan's estimate tokenises once
        self._head_memo: list[int] | None = None  # the query's shared head, for the estimate and the passes alike

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def loaded(self) -> bool:
        return self._base is not None

    @property
    def device(self) -> str:
        return self._device or self._requested_device

    @property
    def fast_path(self) -> str:
        return self._fast_path or ""

    # --- loading ---------------------------------------------------------------------------------------------------
    def load(self, on_progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> None:
        """Resolve (maybe download) and load the model; safe to call again."""
        with self._lock:
            if self._base is not None:
                return
            path = resolve_model(self._model_name, cache_dir=self._cache_dir, on_progress=on_progress, cancel=cancel)
            device = resolve_device(self._requested_device)
            fast_path = choose_fast_path(self._requested_fast_path, device, int8_on_auto=False)  # see there
            tokenizer, model = self._load_model(path, device, fast_path)
            no_id, yes_id = self._answer_ids(tokenizer)
            head = model.get_output_embeddings()
            self._head = head.weight.detach()[[no_id, yes_id]].float().clone()
            bias = getattr(head, "bias", None)
            self._head_bias = None if bias is None else bias.detach()[[no_id, yes_id]].float().clone()
            base = getattr(model, model.base_model_prefix, None) or model.get_decoder()
            if device == "cpu":
                fast_path = apply_cpu_fast_path(base, fast_path)  # never raises: a patch that fails leaves stock code
            else:
                note_not_on_cpu(device)
            self._base = base
            self._tokenizer = tokenizer
            self._prefix_ids = tokenizer.encode(PREFIX, add_special_tokens=False)
            self._suffix_ids = tokenizer.encode(SUFFIX, add_special_tokens=False)
            self._device, self._fast_path = device, fast_path
            self._cache_kw = cache_argument(self._base)  # resolved once, not per scored pair
            self._warm_up()
            if self._speed_store is not None:
                key = machine_key(self._model_name, device, fast_path, str(self._max_doc_tokens))
                self._rate = PassRate(self._speed_store, key)
            for layer in getattr(base, "layers", None) or ():
                layer.register_forward_pre_hook(self._stop_if_cancelled)

    def _load_model(self, path: Path, device: str, fast_path: str) -> tuple[Any, Any]:
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise ModelLoadError(f"transformers is not installed or failed to import: {exc}") from exc
        kwargs: dict[str, Any] = {"dtype": torch_dtype_for(device, fast_path), "local_files_only": True}
        if device != "cpu":
            kwargs["attn_implementation"] = "sdpa"
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model: Any = AutoModelForCausalLM.from_pretrained(str(path), **kwargs)
        except Exception as exc:
            raise ModelLoadError(f"Could not load reranker {self._model_name!r} from {path}: {exc}") from exc
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            raise ModelLoadError(f"Reranker {self._model_name!r} has no padding token.")
        return tokenizer, model.to(device).eval()

    def _warm_up(self) -> None:
        """One short pass, not timed: a model's first pass pays one-off costs (allocations, kernel set-up), and a
        first measured pass that slow could make the budget skip the reranker for the rest of the session."""
        import torch

        ids = torch.tensor([self._prefix_ids + self._suffix_ids], device=self._device or "cpu")
        try:
            with torch.inference_mode():
                self._base(input_ids=ids, use_cache=False)
        except Exception as exc:  # scoring will raise its own error with a message; loading still succeeds
            log.debug("reranker warm-up pass failed: %s", exc)

    def _answer_ids(self, tokenizer: Any) -> tuple[int, int]:
        ids = []
        for word in ("no", "yes"):
            token_id = tokenizer.convert_tokens_to_ids(word)
            if token_id is None or token_id == tokenizer.unk_token_id:
                raise ModelLoadError(
                    f"Model {self._model_name!r} has no single '{word}' token, so it is not a Qwen3-style reranker."
                )
            ids.append(int(token_id))
        return ids[0], ids[1]

    # --- scoring ---------------------------------------------------------------------------------------------------
    def estimate_seconds(self, query: str, documents: Sequence[str]) -> list[float] | None:
        """Each document's expected seconds to score, from the passes measured so far: 0.0 when its score is
        cached; None before any pass was measured (the first pass then teaches the rate).

        On a CPU a pair costs the tokens after the shared prompt head (computed once per query: its cost goes to the
        first uncached pair); on a GPU the whole pair, as batches are padded to their longest pair.
        """
        if self._rate.seconds_per_token is None or not documents:
            return None
        self.load()
        one_by_one = effective_batch_size(self._device, self._fast_path, self._batch_size) == 1
        head = len(self._head_ids(query)) if one_by_one else 0
        costs: list[float] = []
        head_due = one_by_one
        for document in documents:
            if self._cache.get(self._key(query, document)) is not None:
                costs.append(0.0)
                continue
            tokens = len(self._pair_ids(query, document)) - head
            if head_due:
                tokens, head_due = tokens + head, False
            costs.append(self._rate.estimate(tokens) or 0.0)
        return costs

    def score(self, query: str, documents: Sequence[str], *, cancel: CancelToken | None = None) -> list[float]:
        """P(yes) for each document, in input order."""
        scores = [0.0] * len(documents)
        for batch in self.score_batches(query, documents, cancel=cancel, in_order=False):
            for i, value in batch:
                scores[i] = value
        return scores

    def score_batches(
        self,
        query: str,
        documents: Sequence[str],
        *,
        cancel: CancelToken | None = None,
        in_order: bool = True,
    ) -> Iterator[list[tuple[int, float]]]:
        """(index, P(yes)) one batch at a time, so that a caller can stop between batches (a time budget).

        Pairs whose scores are cached come first, in one batch that costs no forward pass. The rest follow in the
        order given (in_order: the caller's ranking, so its best candidates are scored first) or, when every pair is
        to be scored anyway, longest first (less padding in a batch). Cancellation is checked before each batch, and
        a pair is tokenised only when its batch is about to run.
        """
        if not documents:
            return
        self.load()
        keys = [self._key(query, d) for d in documents]
        cached = [(i, s) for i, s in ((i, self._cache.get(k)) for i, k in enumerate(keys)) if s is not None]
        if cached:
            yield cached
        known = {i for i, _ in cached}
        todo = [i for i in range(len(documents)) if i not in known]
        if not todo:
            return
        step = effective_batch_size(self._device, self._fast_path, self._batch_size)
        batches = (
            self._one_by_one(query, documents, todo, cancel)
            if step == 1
            else self._padded_batches(query, documents, todo, step, in_order, cancel)
        )
        while True:
            self._cancel = cancel  # checked between decoder layers too (see _stop_if_cancelled)
            try:
                batch = next(batches, None)
            finally:
                self._cancel = None
            if batch is None:
                return
            for i, value in batch:
                self._cache.put(keys[i], value)
            yield batch

    def _key(self, query: str, document: str) -> PairKey:
        return pair_key(self._model_name, self._instruction, self._max_doc_tokens, query, document)

    def _stop_if_cancelled(self, _module: Any, _args: Any) -> None:
        """A forward pre-hook on every decoder layer: Stop ends a pass within a layer's time (~1/28 of a pair on the
        0.6B model), where a check between pairs alone would wait for the whole pair (seconds on a CPU)."""
        token = self._cancel
        if token is not None and token.cancelled:
            raise Cancelled("cancelled")

    def clear_cache(self) -> None:
        self._cache.clear()

    def _padded_batches(
        self,
        query: str,
        documents: Sequence[str],
        todo: list[int],
        step: int,
        in_order: bool,
        cancel: CancelToken | None,
    ) -> Iterator[list[tuple[int, float]]]:
        """Left-padded batches (GPU): windows of the given order, or of all pairs sorted longest first."""
        sequences: dict[int, list[int]] = {}
        if not in_order:
            sequences = {i: self._pair_ids(query, documents[i]) for i in todo}
            todo = sorted(todo, key=lambda i: len(sequences[i]), reverse=True)
        for start in range(0, len(todo), step):
            if cancel is not None:
                cancel.raise_if_cancelled()
            idx = todo[start : start + step]
            batch = [sequences.get(i) or self._pair_ids(query, documents[i]) for i in idx]
            yield list(zip(idx, self._score_batch(batch), strict=True))

    def _one_by_one(
        self, query: str, documents: Sequence[str], todo: list[int], cancel: CancelToken | None
    ) -> Iterator[list[tuple[int, float]]]:
        """One pair per forward pass (CPU), with the prompt head shared by every pair computed once.

        Every pair starts with the same system prompt, instruction and query (~20% of a 300-token pair). Their keys
        and values are computed once and reused; causal attention makes the result the same as a full pass. A pair
        whose tokens do not start with the shared head (a tokenizer merging across the boundary) gets a full pass.
        """
        head = self._head_ids(query)
        cache = None
        for i in todo:
            if cancel is not None:
                cancel.raise_if_cancelled()
            seq = self._pair_ids(query, documents[i])
            if len(seq) > len(head) and seq[: len(head)] == head:
                if cache is None:
                    cache = self._head_cache(head)
                yield [(i, self._score_after_head(cache, len(head), seq[len(head) :]))]
            else:
                yield [(i, self._score_batch([seq])[0])]

    def _head_ids(self, query: str) -> list[int]:
        """The tokens every pair of this query starts with: system prompt, instruction and query."""
        self._memo_for(query)
        if self._head_memo is None:
            text = format_pair(self._instruction, query, "").rstrip()
            body = self._tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
            self._head_memo = self._prefix_ids + list(body)
        return self._head_memo

    def _memo_for(self, query: str) -> dict[str, list[int]]:
        """The token memo of `query`'s pairs, emptied when the query changes (one query at a time)."""
        if query != self._ids_query:
            self._ids_query, self._ids_memo, self._head_memo = query, {}, None
        return self._ids_memo

    def _head_cache(self, head: list[int]) -> Any:
        import torch

        device = self._device or "cpu"
        try:
            with torch.inference_mode():
                out = self._base(input_ids=torch.tensor([head], device=device), use_cache=True)
        except Cancelled:
            raise
        except Exception as exc:
            raise EngineError(f"Reranking with {self._model_name!r} failed: {exc}") from exc
        cache = getattr(out, "cache", None)
        return cache if cache is not None else out.past_key_values

    def _score_after_head(self, cache: Any, head_len: int, rest: list[int]) -> float:
        import torch

        device = self._device or "cpu"
        total = head_len + len(rest)
        started = time.perf_counter()
        try:
            with torch.inference_mode():
                out = self._base(
                    input_ids=torch.tensor([rest], device=device),
                    attention_mask=torch.ones((1, total), dtype=torch.long, device=device),
                    position_ids=torch.arange(head_len, total, device=device).unsqueeze(0),
                    use_cache=True,
                    **{self._cache_kw: cache},
                )
                cache.crop(-len(rest))  # back to the shared head for the next pair (negative: tokens to drop)
                score = self._p_yes(out.last_hidden_state[:, -1, :])[0]
            self._rate.record(len(rest), time.perf_counter() - started)
            return score
        except Cancelled:
            raise
        except Exception as exc:  # e.g. out of memory: the job fails with a message, the app stays up
            raise EngineError(f"Reranking with {self._model_name!r} failed: {exc}") from exc

    def _truncate(self, document: str) -> str:
        """Cut the document text at its `max_doc_tokens`-th token so the prompt frame is never truncated."""
        enc = self._tokenizer(document, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        offsets = enc["offset_mapping"]
        if len(offsets) <= self._max_doc_tokens:
            return document
        return document[: offsets[self._max_doc_tokens - 1][1]]

    def _pair_ids(self, query: str, document: str) -> list[int]:
        """The pair's tokens, kept for the current query: a budget's estimate and the pass tokenise it once."""
        memo = self._memo_for(query)
        ids = memo.get(document)
        if ids is None:
            # The pair is tokenized as one string (as the model card does) so token boundaries match the reference.
            text = format_pair(self._instruction, query, self._truncate(document))
            body = self._tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
            ids = memo[document] = self._prefix_ids + list(body) + self._suffix_ids
        return ids

    def _score_batch(self, sequences: list[list[int]]) -> list[float]:
        import torch

        width = max(len(s) for s in sequences)
        pad = int(self._tokenizer.pad_token_id)
        ids = torch.tensor([[pad] * (width - len(s)) + s for s in sequences], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in sequences], dtype=torch.long)
        # Positions count from each sequence's first real token, so padding never shifts a document's scores.
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        device = self._device or "cpu"
        started = time.perf_counter()
        try:
            with torch.inference_mode():
                out = self._base(
                    input_ids=ids.to(device),
                    attention_mask=mask.to(device),
                    position_ids=positions.to(device),
                    use_cache=False,
                )
                # Left padding: the last column is real in every row.
                scores = self._p_yes(out.last_hidden_state[:, -1, :])
            self._rate.record(width * len(sequences), time.perf_counter() - started)
            return scores
        except Cancelled:
            raise
        except Exception as exc:  # e.g. out of memory: the job fails with a message, the app stays up
            raise EngineError(f"Reranking with {self._model_name!r} failed: {exc}") from exc

    def _p_yes(self, last_hidden: Any) -> list[float]:
        """P(yes) from the last position's hidden states: only the 'no' and 'yes' rows of the LM head."""
        import torch

        last = last_hidden.float()
        logits = last @ self._head.to(last.device).T
        if self._head_bias is not None:
            logits = logits + self._head_bias.to(last.device)
        return [float(p) for p in torch.softmax(logits, dim=-1)[:, 1].cpu()]


def cache_argument(model: Any) -> str:
    """transformers 5.2x calls the KV cache argument `cache`; earlier versions `past_key_values`."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
