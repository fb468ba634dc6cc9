"""Reranker on a tiny Qwen3 causal LM (random weights), checked against the tutorial's full-logits computation."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cancel import CancelToken
from engine.config import DEFAULT_TASK
from engine.errors import Cancelled, ModelLoadError
from engine.models import reranker as reranker_module
from engine.models.reranker import PREFIX, SUFFIX, Reranker, format_pair

QUERY = "Where does Milvus store data?"
DOCS = [
    "Milvus stores inserted data in object storage as incremental logs and keeps metadata in etcd.",
    "The weather tomorrow will be sunny.",
    "Cooking pasta takes about ten minutes in salted boiling water; stir it now and then.",
    "yes",
    "How does Milvus flush data? The data node writes the message queue to persistent storage. " * 3,
    "Football is played by two teams of eleven players.",
]


@pytest.fixture(scope="module")
def reranker(tiny_models, tmp_path_factory) -> Reranker:
    rr = Reranker(
        str(tiny_models.rerank_dir),
        cache_dir=tmp_path_factory.mktemp("cache"),
        device="cpu",
        batch_size=4,
        cpu_fast_path="fp32",
        cache_size=0,  # every test here means to run the model
    )
    rr.load()
    return rr


def tutorial_scores(model_dir: Path, query: str, docs: list[str], instruction: str = DEFAULT_TASK) -> list[float]:
    """The tutorial's computation: full logits for every position, then yes/no at the last one."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(str(model_dir)).eval()
    yes_id, no_id = tokenizer.convert_tokens_to_ids("yes"), tokenizer.convert_tokens_to_ids("no")
    prefix_ids = tokenizer.encode(PREFIX, add_special_tokens=False)
    suffix_ids = tokenizer.encode(SUFFIX, add_special_tokens=False)
    pairs = [format_pair(instruction, query, doc) for doc in docs]
    inputs = tokenizer(
        pairs,
        padding=False,
        truncation="longest_first",
        return_attention_mask=False,
        max_length=8192 - len(prefix_ids) - len(suffix_ids),
    )
    inputs["input_ids"] = [prefix_ids + ids + suffix_ids for ids in inputs["input_ids"]]
    batch = tokenizer.pad(inputs, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits[:, -1, :]
    pair = torch.stack([logits[:, no_id], logits[:, yes_id]], dim=1)
    return torch.nn.functional.log_softmax(pair, dim=1)[:, 1].exp().tolist()


def spearman(a: list[float], b: list[float]) -> float:
    def ranks(xs: list[float]) -> list[int]:
        order = sorted(range(len(xs)), key=lambda i: xs[i])
        out = [0] * len(xs)
        for rank, i in enumerate(order):
            out[i] = rank
        return out

    ra, rb = ranks(a), ranks(b)
    n = len(a)
    return 1 - 6 * sum((x - y) ** 2 for x, y in zip(ra, rb, strict=True)) / (n * (n * n - 1))


def test_scores_are_probabilities_in_input_order(reranker: Reranker) -> None:
    scores = reranker.score(QUERY, DOCS)
    assert len(scores) == len(DOCS)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len({round(s, 6) for s in scores}) == len(DOCS)  # the documents are told apart
    reversed_scores = reranker.score(QUERY, list(reversed(DOCS)))
    assert reversed_scores == pytest.approx(list(reversed(scores)), abs=1e-5)


def test_batched_length_sorted_equals_one_at_a_time(reranker: Reranker) -> None:
    batched = reranker.score(QUERY, DOCS)
    single = [reranker.score(QUERY, [doc])[0] for doc in DOCS]
    assert batched == pytest.approx(single, abs=1e-4)
    # A CPU scores one pair per pass; a GPU left-pads a batch. The padded path must give the same scores.
    padded = reranker._score_batch([reranker._pair_ids(QUERY, doc) for doc in DOCS])
    assert padded == pytest.approx(single, abs=1e-4)


def test_shared_prompt_head_is_computed_once_and_changes_nothing(reranker: Reranker, monkeypatch) -> None:
    full = [reranker._score_batch([reranker._pair_ids(QUERY, doc)])[0] for doc in DOCS]
    heads = []
    original = reranker._head_cache
    monkeypatch.setattr(reranker, "_head_cache", lambda head: heads.append(head) or original(head))

    def no_full_pass(_sequences):
        raise AssertionError("every pair should reuse the cached head")

    monkeypatch.setattr(reranker, "_score_batch", no_full_pass)
    assert reranker.score(QUERY, DOCS) == pytest.approx(full, abs=1e-5)
    assert len(heads) == 1 and len(heads[0]) > 20


def test_bf16_scores_follow_fp32(tiny_models, tmp_path: Path, reranker: Reranker) -> None:
    quick = Reranker(str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="bf16")
    scores = quick.score(QUERY, DOCS)
    assert quick.fast_path == "bf16"
    assert scores == pytest.approx(reranker.score(QUERY, DOCS), abs=0.02)


def test_int8_scores_do_not_depend_on_batch_mates(tiny_models, tmp_path: Path) -> None:
    quick = Reranker(
        str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", batch_size=4, cpu_fast_path="int8", cache_size=0
    )
    batched = quick.score(QUERY, DOCS)
    single = [quick.score(QUERY, [doc])[0] for doc in DOCS]
    assert quick.fast_path == "int8"
    assert batched == single  # exactly: each pair is its own forward pass


def test_last_position_scores_equal_the_tutorial(tiny_models, reranker: Reranker) -> None:
    expected = tutorial_scores(tiny_models.rerank_dir, QUERY, DOCS)
    assert reranker.score(QUERY, DOCS) == pytest.approx(expected, abs=1e-4)


def test_ranking_follows_p_yes(tiny_models, reranker: Reranker) -> None:
    scores = reranker.score(QUERY, DOCS)
    expected = tutorial_scores(tiny_models.rerank_dir, QUERY, DOCS)
    ranked = sorted(range(len(DOCS)), key=lambda i: scores[i], reverse=True)
    assert ranked == sorted(range(len(DOCS)), key=lambda i: expected[i], reverse=True)


def test_instruction_is_part_of_the_prompt(tiny_models, tmp_path: Path, reranker: Reranker) -> None:
    other = Reranker(
        str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", instruction="Find recipes"
    )
    scores = other.score(QUERY, DOCS[:3])
    assert scores == pytest.approx(tutorial_scores(tiny_models.rerank_dir, QUERY, DOCS[:3], "Find recipes"), abs=1e-4)
    assert scores != pytest.approx(reranker.score(QUERY, DOCS[:3]), abs=1e-4)


def test_documents_are_cut_to_the_token_budget(tiny_models, tmp_path: Path) -> None:
    short = Reranker(
        str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", max_doc_tokens=8
    )
    head = "Milvus stores inserted data in object storage as incremental logs "
    a, b = short.score(QUERY, [head + "and metadata in etcd.", head + "while cooking pasta for dinner."])
    assert a == pytest.approx(b, abs=1e-6)


def test_empty_documents_and_cancel(reranker: Reranker) -> None:
    assert reranker.score(QUERY, []) == []
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        reranker.score(QUERY, DOCS, cancel=token)


def test_int8_fast_path_runs_and_agrees(tiny_models, tmp_path: Path, reranker: Reranker) -> None:
    quick = Reranker(str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="int8")
    scores = quick.score(QUERY, DOCS)
    assert quick.fast_path == "int8"
    assert len(scores) == len(DOCS) and all(0.0 <= s <= 1.0 for s in scores)
    assert spearman(scores, reranker.score(QUERY, DOCS)) > 0.9


def test_missing_model_is_a_model_load_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        Reranker(str(tmp_path / "missing"), cache_dir=tmp_path).score(QUERY, DOCS)
    with pytest.raises(ModelLoadError, match="Qwen/Qwen3-Reranker-0.6B"):
        Reranker("Qwen/Qwen3-Reranker-0.6B", cache_dir=tmp_path).load()  # offline: never downloaded


def test_automatic_precision_never_picks_int8_for_reranking(tiny_models, tmp_path: Path) -> None:
    """int8 ranked candidates with Spearman 0.988 to fp32 on the 0.6B-shaped reranker; bf16 keeps the order."""
    from engine.models.device import cpu_has_fast_bf16

    auto = Reranker(str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="auto")
    auto.load()
    assert auto.fast_path == ("bf16" if cpu_has_fast_bf16() else "fp32")


class CountingBase:
    """The reranker's decoder stack, counting forward passes."""

    def __init__(self, base) -> None:
        self.base, self.calls = base, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.base(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.base, name)


def test_cached_scores_cost_no_forward_pass(tiny_models, tmp_path: Path, monkeypatch) -> None:
    rr = Reranker(str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", cache_size=64)
    rr.load()
    counter = CountingBase(rr._base)
    monkeypatch.setattr(rr, "_base", counter)
    first = rr.score(QUERY, DOCS)
    assert counter.calls == len(DOCS) + 1  # the shared head, then one pass a pair
    counter.calls = 0
    assert rr.score(QUERY, DOCS) == first and counter.calls == 0  # a repeated question
    assert rr.score(QUERY, [DOCS[2], "A passage not seen before."])[0] == first[2]
    assert counter.calls == 2  # head + the new passage only
    counter.calls = 0
    rr.score(QUERY + " And where are logs kept?", DOCS[:2])  # another question: no stale scores
    assert counter.calls == 3


def test_score_batches_follow_the_given_order_and_stop_on_cancel(tiny_models, tmp_path: Path) -> None:
    rr = Reranker(
        str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", batch_size=2, cache_size=0
    )
    batches = rr.score_batches(QUERY, DOCS, in_order=True)
    assert [[i for i, _ in next(batches)] for _ in range(3)] == [[0], [1], [2]]  # one pair a pass on a CPU
    token = CancelToken()
    batches = rr.score_batches(QUERY, DOCS, cancel=token)
    next(batches)
    token.cancel()
    with pytest.raises(Cancelled):
        next(batches)


def test_padded_batches_in_order_equal_length_sorted(tiny_models, tmp_path: Path, monkeypatch) -> None:
    """The GPU path (batches of 4 here, forced on the CPU): fused-order windows give the same scores."""
    import engine.models.reranker as module

    monkeypatch.setattr(module, "effective_batch_size", lambda device, fast_path, size: size)
    rr = Reranker(
        str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", batch_size=4, cache_size=0
    )
    windows = list(rr.score_batches(QUERY, DOCS, in_order=True))
    assert [[i for i, _ in w] for w in windows] == [[0, 1, 2, 3], [4, 5]]
    in_order = dict(pair for w in windows for pair in w)
    assert [in_order[i] for i in range(len(DOCS))] == pytest.approx(rr.score(QUERY, DOCS), abs=1e-4)


class CancelAfter(CancelToken):
    """A token that cancels itself the n-th time the engine looks at it (a Stop pressed mid-pass)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.looks = 0
        self.n = n

    @property
    def cancelled(self) -> bool:
        self.looks += 1
        if self.looks >= self.n:
            self.cancel()
        return super().cancelled


def test_stop_ends_a_forward_pass_between_decoder_layers(tiny_models, tmp_path: Path, monkeypatch) -> None:
    rr = Reranker(str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", cache_size=0)
    rr.load()
    finished: list[int] = []
    original = rr._p_yes
    monkeypatch.setattr(rr, "_p_yes", lambda hidden: finished.append(1) or original(hidden))
    token = CancelAfter(2)  # the head's first layer runs, its second layer sees the Stop
    with pytest.raises(Cancelled):
        rr.score(QUERY, DOCS, cancel=token)
    assert finished == [] and token.looks == 2  # no pass ran to the end
    assert rr._cancel is None
    assert len(rr.score(QUERY, DOCS[:2])) == 2  # the reranker still works afterwards


def test_expected_cost_is_learned_from_passes_and_cached_pairs_cost_nothing(tiny_models, tmp_path: Path) -> None:
    rr = Reranker(str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", cache_size=64)
    rr.load()  # its warm-up pass is not measured: a model's first pass is slow for reasons of its own
    assert rr.estimate_seconds(QUERY, DOCS) is None  # nothing measured yet: the budget lets the first pass run
    rr.score(QUERY, DOCS[:1])
    rate = rr._rate.seconds_per_token
    assert rate is not None and rate > 0
    costs = rr.estimate_seconds(QUERY, DOCS)
    assert costs is not None and costs[0] == 0.0  # scored already: its score comes from the cache
    head = len(rr._head_ids(QUERY))
    rest = [len(rr._pair_ids(QUERY, d)) - head for d in DOCS]
    assert costs[1] == pytest.approx(rate * (rest[1] + head))  # the first uncached pair also pays for the head
    assert costs[2] == pytest.approx(rate * rest[2]) and costs[2] > costs[3]  # longer passages cost more


def test_a_pair_is_tokenised_once_for_its_estimate_and_its_pass(tiny_models, tmp_path: Path, monkeypatch) -> None:
    rr = Reranker(str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", cache_size=0)
    rr.score(QUERY, DOCS[:1])
    calls: list[str] = []
    original = rr._truncate
    monkeypatch.setattr(rr, "_truncate", lambda d: calls.append(d) or original(d))
    heads: list[str] = []
    original_format = reranker_module.format_pair
    monkeypatch.setattr(
        reranker_module,
        "format_pair",
        lambda i, q, d: (heads.append(d) if d == "" else None) or original_format(i, q, d),
    )
    other = QUERY + " Again?"
    rr.estimate_seconds(other, DOCS)
    rr.score(other, DOCS)
    assert sorted(calls) == sorted(DOCS)  # each document once, for the estimate; the pass reused its tokens
    assert len(heads) == 1  # the shared head too


def test_the_measured_speed_is_planned_with_after_a_restart(tiny_models, tmp_path: Path) -> None:
    store = tmp_path / "rerank_speed.json"

    def fresh() -> Reranker:
        return Reranker(
            str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", speed_store=store
        )

    first = fresh()
    first.load()
    assert first.estimate_seconds(QUERY, DOCS) is None  # never measured on this machine
    first.score(QUERY, DOCS[:1])
    second = fresh()
    second.load()
    assert second.estimate_seconds(QUERY, DOCS) is not None  # planned with the kept speed, no pass spent to learn
    assert store.is_file()
