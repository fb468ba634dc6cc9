"""The Qwen3 embedder and reranker: model files and downloads, device and precision choice, CPU kernels."""
