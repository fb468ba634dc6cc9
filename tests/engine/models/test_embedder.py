"""Embedder on a tiny Qwen3-architecture model (random weights) and on all-MiniLM-L6-v2 for real semantics."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.cancel import CancelToken
from engine.config import DEFAULT_TASK
from engine.errors import Cancelled, ConfigError, ModelLoadError
from engine.models.device import choose_fast_path, cpu_has_fast_bf16, cpu_has_int8_dot, resolve_device, torch_dtype_for
from engine.models.embedder import Embedder, normalize_rows, query_prompt
from engine.selftest.tiny_model import QUERY_PROMPT
from tests.engine.models.test_model_files import fake_hf_cache
from tests.support.tiny_models import minilm_path

TEXTS = [
    "Where does Milvus store data?",
    "a",
    "Milvus stores inserted data in object storage as incremental logs and keeps metadata in etcd.",
    "yes no",
    "The index",
]


@pytest.fixture(scope="module")
def embedder(tiny_models, tmp_path_factory) -> Embedder:
    emb = Embedder(
        str(tiny_models.embed_dir),
        cache_dir=tmp_path_factory.mktemp("cache"),
        device="cpu",
        batch_size=2,
        cpu_fast_path="fp32",
    )
    emb.load()
    return emb


class CancelOnSecondCheck(CancelToken):
    """Cancels itself when checked the second time, i.e. right after the first batch."""

    def __init__(self) -> None:
        super().__init__()
        self.checks = 0

    def raise_if_cancelled(self) -> None:
        self.checks += 1
        if self.checks == 2:
            self.cancel()
        super().raise_if_cancelled()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_loads_tiny_qwen3_through_the_app_path(embedder: Embedder) -> None:
    assert embedder.loaded
    assert embedder.device == "cpu"
    assert embedder.fast_path == "fp32"
    assert embedder.dimension == 64


def test_documents_are_float32_and_normalised(embedder: Embedder) -> None:
    vectors = embedder.embed_documents(TEXTS)
    assert vectors.shape == (len(TEXTS), 64)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.abs(vectors[0] - vectors[2]).max() > 1e-3  # different texts, different vectors


def test_batched_equals_one_by_one_in_input_order(embedder: Embedder) -> None:
    batched = embedder.embed_documents(TEXTS)
    single = np.stack([embedder.embed_documents([text])[0] for text in TEXTS])
    np.testing.assert_allclose(batched, single, atol=1e-4)
    # A CPU encodes one passage per call; a GPU pads a batch. The padded path must give the same vectors.
    padded = embedder._encode(list(TEXTS), prompt=None)
    np.testing.assert_allclose(padded, single, atol=1e-4)


def test_empty_input_gives_empty_matrix(embedder: Embedder) -> None:
    assert embedder.embed_documents([]).shape == (0, 64)


def test_query_gets_the_models_query_prompt(embedder: Embedder) -> None:
    query = embedder.embed_query(TEXTS[0])
    as_document = embedder.embed_documents([TEXTS[0]])[0]
    assert query.shape == (64,)
    assert np.abs(query - as_document).max() > 1e-3
    np.testing.assert_allclose(query, embedder.embed_documents([QUERY_PROMPT + TEXTS[0]])[0], atol=1e-5)
    assert QUERY_PROMPT == query_prompt(DEFAULT_TASK)


def test_custom_task_builds_the_instruction(tiny_models, tmp_path: Path, embedder: Embedder) -> None:
    custom = Embedder(
        str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", query_task="Find code"
    )
    expected = embedder.embed_documents(["Instruct: Find code\nQuery:" + TEXTS[0]])[0]
    np.testing.assert_allclose(custom.embed_query(TEXTS[0]), expected, atol=1e-5)


def test_dims_truncate_then_renormalise(tiny_models, tmp_path: Path, embedder: Embedder) -> None:
    small = Embedder(str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", dims=16)
    assert small.dimension == 16  # known before loading
    vectors = small.embed_documents(TEXTS)
    assert vectors.shape == (len(TEXTS), 16)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    full = embedder.embed_documents(TEXTS)
    np.testing.assert_allclose(vectors, normalize_rows(full, 16), atol=1e-5)
    assert small.embed_query(TEXTS[0]).shape == (16,)


def test_dims_larger_than_the_model_are_refused(tiny_models, tmp_path: Path) -> None:
    too_big = Embedder(str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu", dims=65)
    with pytest.raises(ConfigError, match="65"):
        too_big.load()


def test_max_seq_length_truncates_long_texts(tiny_models, tmp_path: Path) -> None:
    short = Embedder(
        str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32", max_seq_length=16
    )
    head = "Milvus stores vectors in segments and flushes incremental logs to object storage " * 2
    a, b = short.embed_documents([head + "alpha beta gamma", head + "cooking pasta in water"])
    np.testing.assert_allclose(a, b, atol=1e-6)  # everything after the first 16 tokens is cut


def test_cancel_before_and_between_batches(embedder: Embedder) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        embedder.embed_documents(TEXTS, cancel=token)
    between = CancelOnSecondCheck()
    with pytest.raises(Cancelled):
        embedder.embed_documents(TEXTS, cancel=between)
    assert between.checks == 2  # the first batch ran, the second never started


def test_token_counter_offsets_are_char_spans(embedder: Embedder) -> None:
    counter = embedder.token_counter()
    text = "Milvus stores data in object storage, and metadata in etcd (since 2.0)."
    spans = counter.offsets(text)
    assert len(spans) == counter.count(text) > 5
    assert all(0 <= start < end <= len(text) for start, end in spans)
    assert [s for s, _ in spans] == sorted(s for s, _ in spans)
    assert "".join(text[s:e] for s, e in spans) == text  # byte-level BPE covers every character once
    unicode_text = "Café – 日本語のテキスト ✓"
    assert all(0 <= s <= e <= len(unicode_text) for s, e in counter.offsets(unicode_text))


def test_token_counter_without_loading_the_model(tiny_models, tmp_path: Path, embedder: Embedder) -> None:
    fresh = Embedder(str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu")
    text = "Where does Milvus store data?"
    assert fresh.token_counter().count(text) == embedder.token_counter().count(text)
    assert not fresh.loaded


def test_int8_fast_path_stays_close_to_fp32(tiny_models, tmp_path: Path, embedder: Embedder) -> None:
    quick = Embedder(str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="int8")
    vectors = quick.embed_documents(TEXTS)
    assert quick.fast_path == "int8"
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    reference = embedder.embed_documents(TEXTS)
    assert min(cosine(a, b) for a, b in zip(vectors, reference, strict=True)) > 0.99
    assert cosine(quick.embed_query("flush"), embedder.embed_query("flush")) > 0.99


def test_bf16_fast_path_stays_close_to_fp32(tiny_models, tmp_path: Path, embedder: Embedder) -> None:
    quick = Embedder(str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="bf16")
    vectors = quick.embed_documents(TEXTS)
    assert quick.fast_path == "bf16" and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    reference = embedder.embed_documents(TEXTS)
    assert min(cosine(a, b) for a, b in zip(vectors, reference, strict=True)) > 0.99
    assert cosine(quick.embed_query("flush"), embedder.embed_query("flush")) > 0.99


def test_int8_vectors_do_not_depend_on_batch_mates(tiny_models, tmp_path: Path) -> None:
    """Every token is scaled on its own and a CPU encodes one passage per pass: a neighbour can never leak in."""
    quick = Embedder(str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="int8", batch_size=8)
    loud = "ZZZZ " * 40 + "an unusually long and loud passage " * 10
    alone = quick.embed_documents([TEXTS[0]])[0]
    with_neighbours = quick.embed_documents([TEXTS[0], loud, TEXTS[1]])[0]
    np.testing.assert_array_equal(alone, with_neighbours)


def test_loads_a_hugging_face_id_from_the_app_cache(tiny_models, tmp_path: Path, embedder: Embedder) -> None:
    snapshot = fake_hf_cache(tmp_path, "acme/tiny-embedding", {})
    shutil.copytree(tiny_models.embed_dir, snapshot, dirs_exist_ok=True)
    by_id = Embedder("acme/tiny-embedding", cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32")
    np.testing.assert_allclose(by_id.embed_documents(TEXTS), embedder.embed_documents(TEXTS), atol=1e-6)


def test_missing_model_is_a_model_load_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        Embedder(str(tmp_path / "missing"), cache_dir=tmp_path).load()
    with pytest.raises(ModelLoadError, match="Qwen/Qwen3-Embedding-0.6B"):
        Embedder("Qwen/Qwen3-Embedding-0.6B", cache_dir=tmp_path).load()  # offline: never downloaded


def test_broken_model_folder_is_a_model_load_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "qwen3"}')
    with pytest.raises(ModelLoadError, match="Could not load"):
        Embedder(str(tmp_path), cache_dir=tmp_path, device="cpu").load()


def test_minilm_gives_sensible_similarity(tmp_path: Path) -> None:
    minilm = Embedder(str(minilm_path()), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32")
    assert minilm.dimension == 384
    query = minilm.embed_query("Where does Milvus store data?")
    storage, unrelated = minilm.embed_documents(
        [
            "Milvus stores inserted data in object storage such as MinIO or S3, and metadata in etcd.",
            "Cooking pasta takes about ten minutes in salted boiling water.",
        ]
    )
    assert float(query @ storage) > float(query @ unrelated) + 0.2
    # all-MiniLM has no query prompt: queries are embedded as they are.
    np.testing.assert_allclose(query, minilm.embed_documents(["Where does Milvus store data?"])[0], atol=1e-5)


def test_device_selection() -> None:
    import torch

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in {"cpu", "cuda", "mps"}
    assert torch_dtype_for("cpu") == torch.float32
    with pytest.raises(ModelLoadError, match="Unknown device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ModelLoadError, match="no CUDA"):
            resolve_device("cuda")
    assert choose_fast_path("fp32", "cpu") == "fp32"
    assert choose_fast_path("int8", "cpu") == "int8"
    assert choose_fast_path("bf16", "cpu") == "bf16"
    expected_auto = "int8" if cpu_has_int8_dot() else ("bf16" if cpu_has_fast_bf16() else "fp32")
    assert choose_fast_path("auto", "cpu") == expected_auto
    assert choose_fast_path("auto", "cpu", int8_on_auto=False) == ("bf16" if cpu_has_fast_bf16() else "fp32")
    assert choose_fast_path("auto", "cpu", width=384) == ("bf16" if cpu_has_fast_bf16() else "fp32")
    assert choose_fast_path("auto", "cpu", width=1024) == expected_auto
    assert torch_dtype_for("cpu", "int8") == (torch.bfloat16 if cpu_has_fast_bf16() else torch.float32)
    with pytest.raises(ConfigError):
        choose_fast_path("int4", "cpu")


def test_automatic_precision_keeps_narrow_models_off_int8(tiny_models, tmp_path: Path) -> None:
    """The tiny model is 64 wide: per-token quantising would cost more than int8 saves, so auto never picks it."""
    auto = Embedder(str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="auto")
    auto.load()
    assert auto.fast_path == ("bf16" if cpu_has_fast_bf16() else "fp32")


def test_unknown_share_tells_a_model_that_cannot_read_the_question(tmp_path: Path, embedder: Embedder) -> None:
    minilm = Embedder(str(minilm_path()), cache_dir=tmp_path, device="cpu", cpu_fast_path="fp32")
    assert minilm.unknown_share("Where does Milvus store data?") == 0.0
    assert minilm.unknown_share("エンティティを削除したのにディスク使用量が減りません。なぜですか？") > 0.05
    assert not minilm.loaded  # the tokenizer answers; the weights are not needed
    assert embedder.unknown_share("") == 0.0  # nothing to read, nothing unknown
    assert minilm.script_unknown_share("ja") > 0.05 and minilm.script_unknown_share("zh") > 0.05
    assert embedder.script_unknown_share("ja") == 0.0  # the byte-level Qwen3-shaped vocabulary reads every script
