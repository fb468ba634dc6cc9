"""The Qwen3 + Milvus RAG tutorial's pipeline, reimplemented as the baseline the benchmarks compare against.

What it does, as the tutorial does (../shared/seed/tutorial-code.txt): split each Markdown file on "# ", embed one
chunk per `encode([text])` call in fp32 (SentenceTransformer with the model's own max length), insert all rows into a
Milvus Lite collection at the end; rerank with the whole causal LM (logits for every position and the full
vocabulary), one padded batch of all candidates, score = softmax over the "no"/"yes" logits at the last position.
Only the model folder differs: benchmarks pass the Qwen3-0.6B-shaped random-weight folders.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query"
PREFIX = (
    "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct "
    'provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n'
)
SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
MAX_RERANKER_LENGTH = 8192


def tutorial_chunks(folder: Path, files: Sequence[Path] | None = None) -> list[str]:
    """The tutorial's chunking: every *.md file in the folder, split on '# ' (empty pieces included, as there)."""
    lines: list[str] = []
    for path in files if files is not None else sorted(Path(folder).glob("*.md")):
        lines += Path(path).read_text(encoding="utf-8").split("# ")
    return lines


class TutorialEmbedder:
    """SentenceTransformer in fp32 (the tutorial's CPU setup), one text per encode call."""

    def __init__(self, model_dir: Path) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        # Force fp32: the shaped test model is saved in bf16, which CPU runs far slower than the real fp32 load.
        self.model = SentenceTransformer(
            str(model_dir), device="cpu", local_files_only=True, model_kwargs={"dtype": torch.float32}
        )
        self.model.eval()
        assert next(self.model.parameters()).dtype == torch.float32

    def emb_text(self, text: str, is_query: bool = False) -> list[float]:
        if is_query:
            embeddings = self.model.encode([text], prompt_name="query")
        else:
            embeddings = self.model.encode([text])
        return embeddings[0].tolist()

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer


def index_chunks(embedder: TutorialEmbedder, chunks: Sequence[str], milvus_uri: str) -> list[list[float]]:
    """Embed each chunk on its own, then insert all rows into a fresh Milvus Lite collection (as the tutorial)."""
    from pymilvus import MilvusClient

    client = MilvusClient(uri=milvus_uri)
    name = "my_rag_collection"
    try:
        if client.has_collection(name):
            client.drop_collection(name)
        dim = len(embedder.emb_text("This is a test"))
        client.create_collection(name, dimension=dim, metric_type="IP", consistency_level="Strong")
        data = [{"id": i, "vector": embedder.emb_text(line), "text": line} for i, line in enumerate(chunks)]
        client.insert(collection_name=name, data=data)
        return [row["vector"] for row in data]
    finally:
        client.close()


class TutorialReranker:
    """The whole AutoModelForCausalLM in fp32; full logits, one left-padded batch."""

    def __init__(self, model_dir: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), padding_side="left", local_files_only=True)
        self.model = AutoModelForCausalLM.from_pretrained(
            str(model_dir), dtype=torch.float32, local_files_only=True
        ).eval()
        self.token_false_id = self.tokenizer.convert_tokens_to_ids("no")
        self.token_true_id = self.tokenizer.convert_tokens_to_ids("yes")
        self.prefix_tokens = self.tokenizer.encode(PREFIX, add_special_tokens=False)
        self.suffix_tokens = self.tokenizer.encode(SUFFIX, add_special_tokens=False)

    @staticmethod
    def format_instruction(instruction: str | None, query: str, doc: str) -> str:
        instruction = instruction or DEFAULT_INSTRUCTION
        return f"<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {doc}"

    def process_inputs(self, pairs: list[str]) -> Any:
        budget = MAX_RERANKER_LENGTH - len(self.prefix_tokens) - len(self.suffix_tokens)
        inputs = self.tokenizer(
            pairs, padding=False, truncation="longest_first", return_attention_mask=False, max_length=budget
        )
        for i, ele in enumerate(inputs["input_ids"]):
            inputs["input_ids"][i] = self.prefix_tokens + ele + self.suffix_tokens
        return self.tokenizer.pad(inputs, padding=True, return_tensors="pt", max_length=MAX_RERANKER_LENGTH)

    def compute_logits(self, inputs: Any) -> list[float]:
        import torch

        with torch.no_grad():
            batch_scores = self.model(**inputs).logits[:, -1, :]
            true_vector = batch_scores[:, self.token_true_id]
            false_vector = batch_scores[:, self.token_false_id]
            batch_scores = torch.stack([false_vector, true_vector], dim=1)
            batch_scores = torch.nn.functional.log_softmax(batch_scores, dim=1)
            return batch_scores[:, 1].exp().tolist()

    def scores(self, query: str, documents: Sequence[str], task_instruction: str | None = None) -> list[float]:
        """P(yes) per document, in input order."""
        pairs = [self.format_instruction(task_instruction, query, doc) for doc in documents]
        return self.compute_logits(self.process_inputs(pairs))

    def rerank_documents(
        self, query: str, documents: Sequence[str], task_instruction: str | None = None
    ) -> list[tuple[str, float]]:
        doc_scores = list(zip(documents, self.scores(query, documents, task_instruction), strict=True))
        doc_scores.sort(key=lambda x: x[1], reverse=True)
        return doc_scores
