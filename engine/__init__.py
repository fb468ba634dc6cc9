"""Tansaku engine: Qt-free indexing, retrieval and answering over local folders."""

__version__ = "0.1.0"
