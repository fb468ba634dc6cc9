"""Milvus (Lite or server): the chunk collection, its schema, rows and filters; Lite-specific code lives apart."""
