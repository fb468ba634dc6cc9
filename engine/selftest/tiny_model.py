"""Tiny Qwen3-architecture models (random weights) laid out on disk exactly like the real Qwen3 repos.

The one builder for `--self-test` (a 1-layer embedder, built in seconds, no download) and for the tests and benchmarks
(tests/support/tiny_models.py adds their corpus, the 2-layer pair and the 0.6B-shaped models). Each folder has
config.json, a tokenizer trained here, and for embedders the sentence-transformers files (last-token pooling,
Normalize, the query prompt), so it loads through the app's real model code path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ENDOFTEXT = "<|endoftext|>"
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]
QUERY_PROMPT = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
# Qwen2/Qwen3's pre-tokenizer split: digits one by one, letters with one leading non-letter, punctuation runs.
QWEN_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SELFTEST_SHAPE: dict[str, Any] = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "head_dim": 16,
}


def train_tokenizer(lines: Iterable[str], vocab_size: int, *, min_frequency: int = 2) -> Any:
    """A byte-level BPE `tokenizers.Tokenizer` with Qwen3's pre-tokenizer and special tokens."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(lines), trainer)
    for word in ("yes", "no"):  # the reranker reads its answer as these bare tokens, as in Qwen's vocabulary
        if tok.token_to_id(word) is None:
            tok.add_tokens([word])
    return tok


def _wrap_tokenizer(tok: Any, *, embedder: bool) -> Any:
    """Qwen3-Embedding appends <|endoftext|> and pads left; the reranker tokenizer adds nothing."""
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    tok = tok.__class__.from_str(tok.to_str())  # a copy: the post-processor differs per model
    byte_level = processors.ByteLevel(trim_offsets=False)
    if embedder:
        eot = tok.token_to_id(ENDOFTEXT)
        template = processors.TemplateProcessing(
            single=f"$A:0 {ENDOFTEXT}:0",
            pair=f"$A:0 {ENDOFTEXT}:0 $B:1 {ENDOFTEXT}:1",
            special_tokens=[(ENDOFTEXT, eot)],
        )
        tok.post_processor = processors.Sequence([byte_level, template])
    else:
        tok.post_processor = byte_level
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token=ENDOFTEXT,
        padding_side="left" if embedder else "right",
        model_max_length=131072,
        clean_up_tokenization_spaces=False,
    )


def _qwen3_config(shape: dict[str, Any], vocab_size: int, tokenizer: Any) -> Any:
    from transformers import Qwen3Config

    return Qwen3Config(
        vocab_size=vocab_size,
        max_position_embeddings=32768,
        rms_norm_eps=1e-6,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.convert_tokens_to_ids(ENDOFTEXT),
        bos_token_id=tokenizer.convert_tokens_to_ids(ENDOFTEXT),
        **shape,
    )


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_sentence_transformers_files(folder: Path, dimension: int, max_seq_length: int = 32768) -> None:
    """The files Qwen/Qwen3-Embedding-0.6B ships so that `SentenceTransformer(folder)` pools and prompts like it."""
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": max_seq_length, "do_lower_case": False})
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": dimension,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": False,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": True,
            "include_prompt": True,
        },
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PROMPT, "document": ""},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def build_model(
    folder: Path, *, causal: bool, shape: dict[str, Any], tok: Any, vocab_size: int | None, dtype: str, seed: int
) -> None:
    import torch
    from transformers import Qwen3ForCausalLM, Qwen3Model

    tokenizer = _wrap_tokenizer(tok, embedder=not causal)
    config = _qwen3_config(shape, vocab_size or len(tokenizer), tokenizer)
    torch.manual_seed(seed)
    model = (Qwen3ForCausalLM if causal else Qwen3Model)(config).eval()
    model.to(getattr(torch, dtype))
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if not causal:
        write_sentence_transformers_files(folder, shape["hidden_size"])


def build_tiny_embedder(folder: Path, texts: Iterable[str], *, vocab_size: int = 512, seed: int = 0) -> Path:
    """Train a tokenizer on `texts` and save a 1-layer Qwen3 embedding model into `folder` (the self-test's model)."""
    folder = Path(folder)
    tok = train_tokenizer([*texts, QUERY_PROMPT], vocab_size, min_frequency=0)
    build_model(folder, causal=False, shape=SELFTEST_SHAPE, tok=tok, vocab_size=None, dtype="float32", seed=seed)
    return folder
