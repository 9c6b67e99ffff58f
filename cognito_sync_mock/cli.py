"""The command line: ``cognito-sync-mock serve`` runs the mock as an HTTP server.

Every option of ``serve`` may also come from an environment variable named
``COGNITO_SYNC_MOCK_<OPTION>`` (``--account-id``: ``COGNITO_SYNC_MOCK_ACCOUNT_ID``), for
containers; an option given on the command line wins over its variable.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from . import __version__
from .backend import Limits
from .channels.lambda_invoke import endpoint_url
from .ids import check_seed
from .server import DEFAULT_HOST, CognitoSyncServer
from .server.app import allowed_name
from .server.responses import whole_number
from .server.store import StoreError
from .state import CALL_HISTORY

DEFAULT_PORT = 7734
ENVIRONMENT_PREFIX = "COGNITO_SYNC_MOCK_"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _limit(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    number = whole_number(value.strip()) if sep else None
    if number is None:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, not {text!r}")
    return name.strip(), number


def _port(text: str) -> int:
    number = whole_number(text)
    if number is None or number > 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}")
    return number


def _count(text: str) -> int:
    number = whole_number(text)
    if number is None:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}")
    return number


def _seed(text: str) -> int:
    number = _count(text)
    try:
        check_seed(number)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return number


def _host_name(text: str) -> str:
    try:
        return allowed_name(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _boolean(text: str) -> bool:
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected one of {', '.join(_TRUE + _FALSE)}, not {text!r}")


def _each(parse: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """A parser of a comma-separated list (a repeatable option's variable)."""

    def parse_all(text: str) -> list[Any]:
        return [parse(part.strip()) for part in text.split(",") if part.strip()]

    return parse_all


def _load_trigger(spec: str) -> tuple[str, Any]:
    """``ARN=module:function`` as the ARN and the callable, imported as uvicorn does (the current
    directory first on ``sys.path``); ValueError saying what is wrong with it."""
    arn, sep, target = spec.partition("=")
    module_name, colon, attribute = target.partition(":")
    if not (arn and sep and module_name and colon and attribute):
        raise ValueError(f"--trigger {spec!r}: expected ARN=module:function")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        if missing.name == module_name or module_name.startswith(f"{missing.name}."):
            raise ValueError(
                f"--trigger {spec!r}: no module named {missing.name!r} (looked in {os.getcwd()} and sys.path)"
            ) from None
        raise ValueError(f"--trigger {spec!r}: importing {module_name} failed: {missing}") from None
    except Exception as failure:  # the module's own code failed: say so, in one line
        raise ValueError(
            f"--trigger {spec!r}: importing {module_name} failed: {type(failure).__name__}: {failure}"
        ) from None
    for name in attribute.split("."):
        if not hasattr(found, name):
            raise ValueError(f"--trigger {spec!r}: {module_name} has no attribute {attribute!r}")
        found = getattr(found, name)
    if not callable(found):
        raise ValueError(f"--trigger {spec!r}: {module_name}:{attribute} is not callable")
    return arn, found


# Each option of ``serve``: its default, and how its environment variable is read.
_OPTIONS: dict[str, tuple[Any, Callable[[str], Any]]] = {
    "host": (DEFAULT_HOST, str),
    "port": (DEFAULT_PORT, _port),
    "account_id": (None, str),
    "strict": (False, _boolean),
    "state": (None, str),
    "seed": (None, str),
    "seed_ids": (None, _seed),
    "call_history": (CALL_HISTORY, _count),
    "limit": ((), _each(_limit)),
    "allow_host": ((), _each(_host_name)),
    "trigger": ((), _each(str)),
    "lambda_endpoint": (None, str),
    "verbose": (False, _boolean),
    "moto": (True, _boolean),
}


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``cognito-sync-mock``; ``parse`` adds the environment and the defaults."""
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
        epilog=f"Each option may also be set by an environment variable {ENVIRONMENT_PREFIX}<OPTION> "
        f"(e.g. {ENVIRONMENT_PREFIX}PORT=8000, {ENVIRONMENT_PREFIX}LIMIT=records_per_dataset=10,dataset_bytes=500; "
        "true/false for flags); the command line wins.",
    )
    serve.add_argument("--host", help=f"address to bind (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=_port, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    serve.add_argument("--account-id", help="the account of requests (default: $MOTO_ACCOUNT_ID, else 123456789012)")
    serve.add_argument(
        "--strict", action=argparse.BooleanOptionalAction, help="only registered pools and identities exist"
    )
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
        "--seed-ids",
        type=_seed,
        metavar="N",
        help="make request IDs, device IDs, tokens and credentials the same in every run of the same calls",
    )
    serve.add_argument(
        "--call-history",
        type=_count,
        metavar="N",
        help=f"how many of the latest calls /_mock/calls keeps (default {CALL_HISTORY}; 0 keeps none)",
    )
    serve.add_argument(
        "--limit",
        type=_limit,
        action="append",
        metavar="NAME=N",
        help="change a service limit (" + ", ".join(sorted(Limits.__dataclass_fields__)) + "); repeatable",
    )
    serve.add_argument(
        "--allow-host",
        type=_host_name,
        action="append",
        metavar="NAME",
        help="a host name besides loopback ones that may reach the dashboard and /_mock/ (a container's "
        "service name); repeatable",
    )
    serve.add_argument(
        "--trigger",
        action="append",
        metavar="ARN=MODULE:FUNCTION",
        help="run a Python function (imported from the current directory first) as the SyncTrigger "
        "Lambda function ARN names; repeatable",
    )
    serve.add_argument(
        "--lambda-endpoint",
        metavar="URL",
        help="run every other SyncTrigger through the Lambda Invoke API at URL (sam local start-lambda, "
        "the Lambda runtime interface emulator)",
    )
    serve.add_argument(
        "--verbose", "-v", action=argparse.BooleanOptionalAction, help="log one line per request to stderr"
    )
    serve.add_argument(
        "--moto",
        action=argparse.BooleanOptionalAction,
        help="answer every other AWS service with moto on the same port, when moto[server] is installed (default: on)",
    )
    return root


def parse(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> argparse.Namespace:
    """The options of a command line: each one given, else its environment variable, else its default.

    A bad value of a variable ends the program with status 2 and a message naming it.
    """
    args = parser().parse_args(argv)
    environ = os.environ if environ is None else environ
    for dest, (default, read) in _OPTIONS.items():
        if getattr(args, dest) is not None:
            continue
        name = ENVIRONMENT_PREFIX + dest.upper()
        text = environ.get(name, "")
        try:
            setattr(args, dest, read(text) if text else default)
        except argparse.ArgumentTypeError as error:
            print(f"cognito-sync-mock: {name}={text!r}: {error}", file=sys.stderr)
            raise SystemExit(2) from None
    return args


def serve(args: argparse.Namespace) -> int:
    """Run the server until Ctrl-C or SIGTERM; print its URL first."""
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        triggers = dict(_load_trigger(spec) for spec in args.trigger)
        if args.lambda_endpoint is not None:
            endpoint_url(args.lambda_endpoint, "--lambda-endpoint")
        server = CognitoSyncServer(
            args.host,
            args.port,
            account_id=args.account_id,
            strict=args.strict,
            limits=dict(args.limit),
            state=args.seed,
            state_file=args.state,
            call_history=args.call_history,
            allow_hosts=args.allow_host,
            seed_ids=args.seed_ids,
            triggers=triggers,
            lambda_endpoint=args.lambda_endpoint,
            with_moto=args.moto,
        )
    except (ValueError, OSError, StoreError) as error:
        print(f"cognito-sync-mock: {error}", file=sys.stderr)
        return 2
    try:
        server.start()
    except ImportError as error:
        print(f"cognito-sync-mock: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"cognito-sync-mock: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(server.url, flush=True)
        print(
            f"cognito-sync-mock: listening on {server.url} (dashboard at {server.url}/; stop with Ctrl-C)",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cognito-sync-mock`` console script."""
    args = parse(argv)
    if args.command == "serve":
        return serve(args)
    return 2  # pragma: no cover - argparse requires a command
