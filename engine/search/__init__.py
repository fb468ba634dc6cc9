"""Hybrid retrieval: dense and BM25 requests, their fusion, and reranking of the fused candidates."""
