"""The chunk collection's schema, indexes and naming: one collection per embedding model + dims."""

from __future__ import annotations

import hashlib
import re
from typing import Any

# 2: the BM25 function reads `bm25_text` (words segmented by engine.store.segment), not `text`. A version is part of
# the collection name, so an index of an older layout is simply another index: it answers until the new one is built.
SCHEMA_VERSION = "2"
LEGACY_SCHEMAS = ("1",)  # layouts an old index may still have; opened read-only as the fallback while rebuilding
PROP_MODEL = "tansaku.model"
PROP_DIMS = "tansaku.dims"
PROP_SCHEMA = "tansaku.schema"

# Byte limits (Milvus counts VARCHAR length in UTF-8 bytes). Text is capped at the server maximum; chunks are ~512
# tokens (~2-3 kB), so the cap only guards against a chunker bug or a pathological "word".
MAX_ID = 512
MAX_HASH = 64
MAX_PATH = 16384
MAX_SUFFIX = 64
MAX_HEADINGS = 8192
MAX_TEXT = 65535

# Lucene's English stop set (what Milvus' "_english_" expands to), listed explicitly because Milvus Lite only reads
# explicit lists. It keeps "the"/"of"/"and" out of every posting list, which is what makes pure-Python BM25 affordable
# in Lite: without it every natural-language query walks a posting list as long as the collection.
STOP_WORDS = tuple(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they "
    "this to was will with".split()
)
ANALYZER_PARAMS: dict[str, Any] = {
    "tokenizer": "standard",
    "filter": ["lowercase", {"type": "stop", "stop_words": list(STOP_WORDS)}],
}

# Dense index: HNSW over inner product (vectors are L2-normalised, so IP is cosine and skips a per-query norm).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 100
HNSW_EF_MIN = 64
BM25_K1 = 1.2
BM25_B = 0.75

BM25_FIELD = "bm25_text"
OUTPUT_FIELDS = tuple("id library path chunk_no headings page char_start char_end text file_sha256".split())

_NAME_RE = re.compile(r"[^a-z0-9]+")


def collection_name_for(model_name: str, dims: int, schema: str | None = None) -> str:
    """`tansaku_<readable model>_d<dims>_<hash>`: a valid Milvus name (letters, digits, _) that stays unique.

    The hash covers the row layout from version 2 on (version 1 names stay what they were), so a new layout gets a
    new collection that fills in the background while the old one answers.
    """
    schema = SCHEMA_VERSION if schema is None else schema
    slug = _NAME_RE.sub("_", model_name.lower()).strip("_")[:40].strip("_") or "model"
    key = f"{model_name}\n{dims}" if schema == "1" else f"{model_name}\n{dims}\nschema {schema}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"tansaku_{slug}_d{int(dims)}_{digest}"


def build_schema(dims: int) -> Any:
    """The chunk schema: scalar metadata, analysed text, a dense vector and a BM25 sparse vector."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=MAX_ID)
    schema.add_field("file_id", DataType.VARCHAR, max_length=MAX_HASH)
    schema.add_field("library", DataType.VARCHAR, max_length=MAX_PATH)
    schema.add_field("path", DataType.VARCHAR, max_length=MAX_PATH)
    schema.add_field("suffix", DataType.VARCHAR, max_length=MAX_SUFFIX)
    schema.add_field("chunk_no", DataType.INT64)
    schema.add_field("headings", DataType.VARCHAR, max_length=MAX_HEADINGS)
    schema.add_field("page", DataType.INT64)
    schema.add_field("char_start", DataType.INT64)
    schema.add_field("char_end", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT)
    # What BM25 reads: `text` with Japanese words split by spaces (engine.store.segment); English text is identical.
    schema.add_field(
        BM25_FIELD, DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True, analyzer_params=ANALYZER_PARAMS
    )
    schema.add_field("file_sha256", DataType.VARCHAR, max_length=MAX_HASH)
    # False until the dense vector is stored (zeros until then): BM25 serves the row at once, dense search skips it.
    schema.add_field("embedded", DataType.BOOL)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=int(dims))
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name="text_bm25",
            function_type=FunctionType.BM25,
            input_field_names=[BM25_FIELD],
            output_field_names=["sparse"],
        )
    )
    return schema


def build_index_params(client: Any) -> Any:
    """HNSW on the dense vector, an inverted index with BM25 on the sparse one."""
    params = client.prepare_index_params()
    params.add_index(
        field_name="dense",
        index_type="HNSW",
        metric_type="IP",
        params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION},
    )
    params.add_index(
        field_name="sparse",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        # No inverted_index_algo: Lite accepts only TAAT_NAIVE, the server picks its own (DAAT_MAXSCORE).
        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
    )
    return params


def dense_search_params(k: int) -> dict[str, Any]:
    return {"metric_type": "IP", "params": {"ef": max(HNSW_EF_MIN, int(k))}}


def bm25_search_params() -> dict[str, Any]:
    return {"metric_type": "BM25", "params": {}}


def has_field(description: dict[str, Any], name: str) -> bool:
    return any(field.get("name") == name for field in description.get("fields", ()))


def dims_of(description: dict[str, Any]) -> int | None:
    """The dense field's dimension in a `describe_collection` answer."""
    for field in description.get("fields", ()):
        if field.get("name") == "dense":
            dim = (field.get("params") or {}).get("dim")
            return int(dim) if dim is not None else None
    return None


def properties_for(model_name: str, dims: int) -> dict[str, str]:
    return {PROP_MODEL: model_name, PROP_DIMS: str(int(dims)), PROP_SCHEMA: SCHEMA_VERSION}
