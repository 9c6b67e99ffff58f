"""The command line: ``cognito-sync-mock serve`` runs the mock as an HTTP server."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from . import __version__
from .backend import Limits
from .server import DEFAULT_HOST, CognitoSyncServer
from .store import StoreError

DEFAULT_PORT = 7734


def _limit(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    if not sep or not value.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, not {text!r}")
    return name.strip(), int(value)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``cognito-sync-mock``."""
    root = argparse.ArgumentParser(
        prog="cognito-sync-mock", description="AWS Cognito Sync, mocked: in-process for boto3, or as an HTTP server."
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    serve = commands.add_parser(
        "serve",
        help="answer Cognito Sync over HTTP (AWS CLI, JavaScript SDKs, apps)",
        description="Answer Cognito Sync over HTTP. The first line printed is the URL listened on.",
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    serve.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    serve.add_argument("--account-id", help="the account of requests (default: $MOTO_ACCOUNT_ID, else 123456789012)")
    serve.add_argument("--strict", action="store_true", help="only registered pools and identities exist")
    serve.add_argument(
        "--state",
        metavar="FILE",
        help="keep the state in the SQLite database FILE (made if missing): every change is in it before its answer",
    )
    serve.add_argument(
        "--seed",
        metavar="FILE",
        help="start from a JSON snapshot or short form (with --state: only while FILE holds no state yet)",
    )
    serve.add_argument(
        "--limit",
        type=_limit,
        action="append",
        default=[],
        metavar="NAME=N",
        help="change a service limit (" + ", ".join(sorted(Limits.__dataclass_fields__)) + ")",
    )
    serve.add_argument("--verbose", "-v", action="store_true", help="log every request to stderr")
    return root


def serve(args: argparse.Namespace) -> int:
    """Run the server until Ctrl-C or SIGTERM; print its URL first."""
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        server = CognitoSyncServer(
            args.host,
            args.port,
            account_id=args.account_id,
            strict=args.strict,
            limits=dict(args.limit),
            state=args.seed,
            state_file=args.state,
        )
    except (ValueError, OSError, StoreError) as error:
        print(f"cognito-sync-mock: {error}", file=sys.stderr)
        return 2
    try:
        server.start()
    except OSError as error:
        print(f"cognito-sync-mock: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(server.url, flush=True)
        print(f"Cognito Sync mock: dashboard at {server.url}/ ; stop with Ctrl-C", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cognito-sync-mock`` console script."""
    args = parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2  # pragma: no cover - argparse requires a command
