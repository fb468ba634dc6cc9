"""`tansaku index|search|ask|chats|status|report|remove`: the engine for terminals and scripts."""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from engine import (
    DEFAULT_EMBED_MODEL,
    RERANK_BUDGET_CPU_S,
    RERANK_BUDGET_GPU_S,
    Cancelled,
    CancelToken,
    Engine,
    EngineConfig,
    EngineError,
    FileCounts,
    SearchFilters,
    __version__,
    default_data_dir,
    normalise_library,
    secrets,
)
from engine.cli.format import (
    answer_json,
    dense_note,
    early_text,
    embed_wait_note,
    hit_json,
    hit_text,
    outcome_json,
    outcome_text,
    partial_rerank_note,
    patches_off_text,
    ranking_json,
    repair_text,
    rerank_note,
    short,
    sources_text,
)

SUBCOMMANDS = ("index", "search", "ask", "chats", "status", "report", "remove")
EXIT_ERROR, EXIT_LLM, EXIT_CANCELLED = 1, 3, 130


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data and models")
    g.add_argument("--data-dir", type=Path, help="data folder (default: TANSAKU_DATA_DIR or the user data dir)")
    g.add_argument("--store", metavar="URI", help="Milvus server URI instead of Milvus Lite in the data dir")
    g.add_argument(
        "--token",
        help=f"token for --store; visible to other users in the process list, so prefer {secrets.STORE_TOKEN_ENV_VAR} "
        "or the OS keyring (where the app's Settings keep it)",
    )
    g.add_argument("--embed-model", metavar="ID|DIR", help="embedding model id or local folder")
    g.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default=None)
    g.add_argument("--dims", type=int, help="embedding dimensions (Matryoshka truncation)")
    g.add_argument("--cpu-fast-path", choices=("auto", "bf16", "int8", "fp32"), default=None)
    g.add_argument(
        "--cpu-runtime",
        choices=("auto", "torch", "openvino"),
        default=None,
        help="what runs the embedder on a CPU (auto: torch; openvino converts the model once)",
    )


def _search_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=int, default=None, help="number of passages (default 5)")
    p.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid")
    p.add_argument("--no-rerank", action="store_true", help="skip the reranker (fast mode)")
    p.add_argument(
        "--rerank-budget",
        type=float,
        metavar="SECONDS",
        help=f"spend up to SECONDS ranking each search (default {RERANK_BUDGET_CPU_S:g} on a CPU, "
        f"{RERANK_BUDGET_GPU_S:g} on a GPU; 0: no limit): candidates are ranked best-first by keyword + meaning, "
        "and those the reranker did not reach keep that order below the reranked ones",
    )
    p.add_argument(
        "--early",
        action="store_true",
        help="print the early rankings as they come (the keyword matches, then keyword + meaning while the reranker "
        'works), then the final one; with --json each early list is an extra line with "early": true and "stage" '
        '("keywords" or "fused"; the final line says "final") before each final line',
    )
    p.add_argument("--rerank-model", metavar="ID|DIR")
    p.add_argument("--library", help="only this library")
    p.add_argument("--path-prefix", help="only files under this path")
    p.add_argument("--type", dest="file_types", action="append", default=[], help="only this file type (repeatable)")
    p.add_argument("--json", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tansaku", description="Ask questions about your own folders.")
    parser.add_argument("--version", action="version", version=f"tansaku {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index folders (incremental; Ctrl-C stops, the next run resumes)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN", help="gitignore-style, repeatable")
    p.add_argument("--retry-failed", action="store_true", help="try failed files again even if unchanged")
    p.add_argument("--json", action="store_true", help="print a JSON summary per library")
    _common(p)

    p = sub.add_parser("search", help="ranked passages for a question ('-' reads one question per line)")
    p.add_argument("question", metavar="QUESTION")
    _search_opts(p)
    _common(p)

    p = sub.add_parser("ask", help="answer a question with cited sources")
    p.add_argument("question", metavar="QUESTION")
    _search_opts(p)
    p.add_argument("--llm-base-url", metavar="URL", help="OpenAI-compatible endpoint (e.g. a local server)")
    p.add_argument("--llm-model", metavar="NAME", help="chat model (default gpt-4o)")
    p.add_argument("--dry-run", action="store_true", help="show exactly what would be sent, send nothing")
    p.add_argument(
        "--chat",
        metavar="ID|last",
        help="continue a saved chat (see `tansaku chats`); without it each question starts a new chat",
    )
    _common(p)

    p = sub.add_parser("chats", help="saved chats, newest first (the window's and the CLI's)")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("status", help="libraries, counts, model and store")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("report", help="per-file outcomes with reasons")
    p.add_argument("--json", action="store_true")
    p.add_argument("--failed", action="store_true")
    p.add_argument("--skipped", action="store_true")
    p.add_argument("--indexed", action="store_true")
    p.add_argument("--library")
    _common(p)

    p = sub.add_parser("remove", help="forget a library and delete its chunks")
    p.add_argument("path", metavar="PATH")
    _common(p)
    return parser


def _recorded(data_dir: Path) -> dict[str, str]:
    """The model the index was built with, so later commands use the same one without repeating it."""
    path = data_dir / "manifest.sqlite"
    if not path.exists():
        return {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT key, value FROM meta WHERE key LIKE 'active_%'").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return {}
    return dict(rows)


def config_from_args(args: argparse.Namespace) -> EngineConfig:
    import os

    data_dir = (args.data_dir or default_data_dir()).expanduser()
    recorded = _recorded(data_dir) if not args.embed_model else {}
    changes: dict = {"data_dir": data_dir}
    changes["embed_model"] = args.embed_model or recorded.get("active_embed_model") or DEFAULT_EMBED_MODEL
    dims = args.dims if args.dims is not None else (recorded.get("active_dims") or None)
    changes["dims"] = int(dims) if dims else None
    if args.store:
        changes["store_uri"] = args.store
    if args.token:  # else the engine reads TANSAKU_STORE_TOKEN or the OS keyring when it connects
        changes["store_token"] = args.token
    for name in ("device", "cpu_fast_path", "cpu_runtime", "rerank_model", "llm_model"):
        value = getattr(args, name, None)
        if value:
            changes[name] = value
    base_url = getattr(args, "llm_base_url", None) or os.environ.get("TANSAKU_LLM_BASE_URL")
    if base_url:
        changes["llm_base_url"] = base_url
    if getattr(args, "exclude", None):
        changes["excludes"] = tuple(args.exclude)
    return EngineConfig(**changes)


def configure_logging() -> None:
    """Warnings and errors to stderr (as Python would print them anyway), with secrets redacted; no library bars."""
    import logging

    from engine.cli.quiet import quiet_library_progress_bars

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    secrets.install_log_redaction()
    quiet_library_progress_bars()


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    if args.token:
        secrets.remember_secret(args.token)
        print(secrets.TOKEN_ARGV_WARNING, file=sys.stderr)
    engine = Engine(config_from_args(args))
    try:
        engine.open()
        handler = globals()[f"cmd_{args.command}"]
        return int(handler(engine, args) or 0)
    except EngineError as exc:
        print(f"tansaku: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        engine.close()


# -- commands ---------------------------------------------------------------------------------
def _sigint_cancels(token: CancelToken) -> None:
    def on_sigint(_sig, _frame) -> None:
        if token.cancelled:
            raise KeyboardInterrupt
        print("\nStopping after the current batch… (Ctrl-C again to force)", file=sys.stderr)
        token.cancel()

    signal.signal(signal.SIGINT, on_sigint)


def cmd_index(engine, args) -> int:
    from engine.cli.progress import ProgressBar

    cancel = CancelToken()
    _sigint_cancels(cancel)
    try:
        _load_openvino_embedder(engine, cancel, quiet=args.json)
    except Cancelled:
        return EXIT_CANCELLED
    summaries = []
    for raw in args.paths:
        library = engine.add_library(raw)
        if args.exclude:
            merged = tuple(dict.fromkeys(engine.get_excludes(library) + tuple(args.exclude)))
            engine.set_excludes(library, merged)
        with ProgressBar(enabled=not args.json) as bar:
            report = engine.index_library(
                library, cancel=cancel, on_progress=bar.update, retry_failed=args.retry_failed
            )
        summaries.append(report)
        if not args.json:
            print(_summary_text(report))
            if report.files_awaiting_embedding:
                c = engine.config
                n, why = report.files_awaiting_embedding, report.embedder_unavailable
                print(embed_wait_note(n, why, c.embed_model, c.models_dir))
        if report.cancelled:
            break
    if args.json:
        print(json.dumps([r.__dict__ for r in summaries], indent=2))
    return EXIT_CANCELLED if cancel.cancelled else 0


def _load_openvino_embedder(engine, cancel: CancelToken, *, quiet: bool) -> None:
    """With --cpu-runtime openvino, load the embedder before indexing (when its model is here), so that the one-time
    conversion (minutes) says so on stderr and Ctrl-C stops it; otherwise indexing loads it only if it must embed."""
    if engine.config.cpu_runtime != "openvino" or engine.embedder_unavailable():
        return
    announced = False

    def on_progress(what: str, done: int, total: int) -> None:
        nonlocal announced
        if quiet or what != "OpenVINO conversion":
            return
        if not announced:
            print("Converting the embedding model for OpenVINO (once; kept in the data folder)…", file=sys.stderr)
            announced = True
        print(f"\r  step {done} of {total}", end="", file=sys.stderr, flush=True)

    engine.load_models(rerank=False, on_progress=on_progress, cancel=cancel)
    if announced:
        print(file=sys.stderr)


def _summary_text(r) -> str:
    state = "stopped (run again to resume)" if r.cancelled else "done"
    rate = f", {r.tokens_embedded / r.elapsed_s:.0f} tok/s" if r.elapsed_s > 0 and r.tokens_embedded else ""
    return (
        f"{r.library}: {state} in {r.elapsed_s:.1f}s — {r.files_indexed} indexed, {r.files_unchanged} unchanged, "
        f"{r.files_skipped} skipped, {r.files_failed} failed, {r.files_removed} removed; "
        f"{r.chunks_embedded} chunks embedded{rate}"
    )


def _filters(args):
    if not (args.library or args.path_prefix or args.file_types):
        return None
    return SearchFilters(
        libraries=(normalise_library(args.library),) if args.library else (),
        path_prefix=str(Path(args.path_prefix).expanduser().resolve()) if args.path_prefix else None,
        file_types=tuple(t.lstrip(".").lower() for t in args.file_types),
    )


def _questions(arg: str):
    if arg != "-":
        yield arg
        return
    for line in sys.stdin:
        if line.strip():
            yield line.strip()


def _search(engine, args, query: str, *, question: str | None = None):
    """Search with the command's options; --early prints the early lists first (JSON: an extra line each)."""
    on_early = None
    if args.early:

        def on_early(early) -> None:
            if args.json:
                line = dict(question=question or query, hits=[hit_json(h) for h in early], **ranking_json(early))
                print(json.dumps(line, ensure_ascii=False))
            else:
                print(early_text(early))
            sys.stdout.flush()

    rerank = False if args.no_rerank else None
    hits = engine.search(
        query,
        k=args.k,
        mode=args.mode,
        rerank=rerank,
        filters=_filters(args),
        on_fused=on_early,
        on_keywords=on_early,
        rerank_budget_s=args.rerank_budget,
    )
    if not args.json:
        note = partial_rerank_note(hits)
        if note:
            print(note, file=sys.stderr)
    return hits


def cmd_search(engine, args) -> int:
    if args.rerank_model:
        engine.config = engine.config.with_changes(rerank_model=args.rerank_model)
    noted = dense_noted = False
    for question in _questions(args.question):
        if args.question == "-" and not args.json:
            print(f"\n## {question}")
        hits = _search(engine, args, question)
        noted = noted or _note_rerank(engine, hits, args.mode)
        dense_noted = dense_noted or _note_dense(engine, hits)
        if args.json:
            line = dict(question=question, hits=[hit_json(h, question) for h in hits], **ranking_json(hits))
            print(json.dumps(line, ensure_ascii=False))
            sys.stdout.flush()
            continue
        if args.early and hits.reranked:
            print("Reranked:")
        if not hits:
            print("No matching passages.")
        for n, hit in enumerate(hits, 1):
            print(hit_text(n, hit, question=question))
    return 0


def _note_rerank(engine, hits, mode: str) -> bool:
    """Say once on stderr that the reranker was meant to run and could not (the hits are ranked by fusion)."""
    if not hits.rerank_unavailable:
        return False
    c = engine.config
    print(rerank_note(hits.rerank_unavailable, mode, c.rerank_model, c.models_dir), file=sys.stderr)
    return True


def _note_dense(engine, hits) -> bool:
    """Say once on stderr that a hybrid search ranked by keywords alone: the embedding model is not here yet."""
    if not hits.dense_unavailable:
        return False
    c = engine.config
    print(dense_note(hits.dense_unavailable, c.embed_model, c.models_dir), file=sys.stderr)
    return True


def cmd_ask(engine, args) -> int:
    from dataclasses import replace

    from engine import Turn, new_chat

    if args.rerank_model:
        engine.config = engine.config.with_changes(rerank_model=args.rerank_model)
    chat = _open_chat(engine, args.chat) if args.chat else None
    code, noted, dense_noted = 0, False, False
    for question in _questions(args.question):
        if chat is None or (args.question == "-" and not args.chat):
            chat = new_chat()  # each question stands alone unless --chat says which chat it continues
        history = chat.turns
        rewrite = engine.rewrite_query(question, history, use_llm=not args.dry_run)
        hits = _search(engine, args, rewrite.query, question=question)
        noted = noted or _note_rerank(engine, hits, args.mode)
        dense_noted = dense_noted or _note_dense(engine, hits)
        if args.dry_run:
            _print_preview(engine.preview(question, hits, history=history, searched_for=rewrite.query), args.json)
            continue
        searched_for = rewrite.query if rewrite.method != "as_typed" else ""
        if searched_for and not args.json:
            print(f"Searched for: {searched_for}", file=sys.stderr)
        answer, turn_code = _ask_one(engine, question, hits, args.json, history=history, searched_for=searched_for)
        turn = Turn(question, searched_for=searched_for).with_answer(answer)
        chat = replace(chat, turns=history + (turn,))
        _save_chat(engine, chat)
        code = max(code, turn_code)
    return code


def _open_chat(engine, chat_id: str):
    try:
        return engine.chats.load(chat_id)
    except KeyError:
        raise EngineError(f"No saved chat {chat_id!r}: `tansaku chats` lists them.") from None
    except (OSError, ValueError, TypeError) as exc:
        raise EngineError(f"Chat {chat_id!r} could not be read ({exc}).") from None


def _save_chat(engine, chat) -> None:
    try:
        engine.chats.save(chat)
    except OSError as exc:
        print(f"tansaku: the chat could not be saved ({exc})", file=sys.stderr)


def _ask_one(engine, question: str, hits, as_json: bool, *, history=(), searched_for: str = ""):
    cancel = CancelToken()
    _sigint_cancels(cancel)
    streamed: list[str] = []

    def on_token(text: str) -> None:
        streamed.append(text)
        if not as_json:
            sys.stdout.write(text)
            sys.stdout.flush()

    answer = engine.ask(question, hits=hits, on_token=on_token, cancel=cancel, history=history)
    if as_json:
        line = dict(answer_json(answer), searched_for=searched_for or question, **ranking_json(hits))
        print(json.dumps(line, ensure_ascii=False))
    else:
        if not streamed and answer.text:
            print(answer.text)
        elif streamed:
            print()
        if answer.error:
            print(f"\nError: {answer.error}", file=sys.stderr)
        if answer.hits and answer.mode in ("llm", "error"):
            print("\n" + sources_text(answer.hits))
    return answer, (EXIT_LLM if answer.mode == "error" else 0)


def cmd_chats(engine, args) -> int:
    saved = engine.chats.list()
    if args.json:
        rows = [{"id": c.id, "title": c.title, "turns": c.turns, "updated": c.updated} for c in saved]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    import time

    for c in saved:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(c.updated))
        print(f"{c.id}  {when}  {c.turns} turn{'s' if c.turns != 1 else ''}  {c.title}")
    if not saved:
        print("No saved chats.")
    return 0


def _print_preview(preview, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "model": preview.model,
                    "base_url": preview.base_url,
                    "destination": preview.destination,
                    "messages": preview.messages,
                    "sources": [list(s) for s in preview.sources],
                    "total_chars": preview.total_chars,
                    "estimated_tokens": preview.estimated_tokens,
                    "searched_for": preview.searched_for,
                    "rewrite_messages": preview.rewrite_messages,
                    "earlier_turns": preview.earlier_turns,
                },
                ensure_ascii=False,
            )
        )
        return
    where = preview.base_url or "https://api.openai.com/v1"
    print(f"Dry run — nothing sent. Would send to {where} ({preview.destination}), model {preview.model}:")
    for n, path, page, heading, chars in preview.sources:
        loc = f"{path}:{page}" if page is not None else path
        print(f"  [{n}] {loc}{' — ' + heading if heading else ''}  ({chars} chars)")
    print(f"Total: {preview.total_chars} characters, about {preview.estimated_tokens} tokens.")
    if preview.searched_for:
        print(f"Searched for: {preview.searched_for}")
    if preview.earlier_turns:
        print(f"Earlier turns sent: {preview.earlier_turns}")
    if preview.rewrite_messages:
        print("\nFirst, a short request to rewrite the follow-up into a search query:")
        for message in preview.rewrite_messages:
            print(f"\n--- {message['role']} ---\n{message['content']}")
        print("\nThen the answer request:")
    for message in preview.messages:
        print(f"\n--- {message['role']} ---\n{message['content']}")


def cmd_status(engine, args) -> int:
    status = engine.status()
    if args.json:
        print(json.dumps(status, indent=2, ensure_ascii=False))
        return 0
    print(f"Data folder: {status['data_dir']}")
    print(f"Store:       {status['store']}")
    print(f"Model:       {status['model']} ({status['dims'] or '?'} dims)")
    print(f"Totals:      {status['files']} files, {status['chunks']} chunks")
    for lib in status["libraries"]:
        extra = f", {lib['failed']} failed" if lib["failed"] else ""
        extra += f", {lib['pending']} pending" if lib["pending"] else ""
        print(f"  {lib['path']}: {lib['files']} files ({lib['skipped']} skipped{extra}), {lib['chunks']} chunks")
    for repair in status["repairs"]:
        print(f"Repaired:    {repair_text(repair)}")
    off = patches_off_text(status["patches"])
    if off:
        print(f"Patches off: {off}")
    return 0


def cmd_report(engine, args) -> int:
    statuses = [s for s in ("failed", "skipped", "indexed") if getattr(args, s)] or None
    outcomes = engine.report(library=args.library, statuses=statuses)
    if args.json:
        print(json.dumps([outcome_json(o) for o in outcomes], indent=2, ensure_ascii=False))
        return 0
    for o in outcomes:
        print(outcome_text(o))
    if not outcomes:
        print("No files match.")
    else:
        print(FileCounts.of(o.status for o in outcomes).text())
    return 0


def cmd_remove(engine, args) -> int:
    engine.remove_library(args.path)
    print(f"Removed {short(args.path, 80)} and its chunks.")
    return 0
