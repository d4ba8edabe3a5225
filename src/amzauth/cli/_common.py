"""What every command shares: exit codes, JSON discipline, error rendering without tracebacks.

Kept light: rich is imported only when something is printed for people.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from amzauth.config import ConfigError
    from amzauth.errors import NetworkError, TokenError

# Re-exported: the commands import them from here.
from amzauth.cli._plain import EXIT_FAILED as EXIT_FAILED
from amzauth.cli._plain import EXIT_NETWORK as EXIT_NETWORK
from amzauth.cli._plain import EXIT_OK as EXIT_OK
from amzauth.cli._plain import EXIT_USAGE as EXIT_USAGE
from amzauth.cli._plain import emit_json as emit_json
from amzauth.cli._plain import printable as printable
from amzauth.cli._plain import say_step as say_step

ConfigOpt = Annotated[str | None, typer.Option("--config", help="Profiles file (see README).")]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="Profile name (default: $AMZAUTH_PROFILE or default).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a traceback on unexpected errors.")]

F = TypeVar("F", bound=Callable[..., Any])


class _WaitNotice:
    """A logging handler that shows, on stderr, each wait the engines decide (retries, Retry-After)."""

    WORDS = ("retry", "wait")

    def __init__(self) -> None:
        import logging

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                msg = record.getMessage()
                if any(w in msg for w in _WaitNotice.WORDS):
                    sys.stderr.write(f"waiting: {msg}\n")
                    sys.stderr.flush()

        self.handler = Handler(logging.INFO)


_wait_notice: _WaitNotice | None = None


def announce_waits() -> None:
    """Say on stderr what a command waits for while the engines retry (stdout keeps its one document)."""
    import logging

    global _wait_notice
    if _wait_notice is not None:
        return
    _wait_notice = _WaitNotice()
    for name in ("amzauth.engine", "amzauth.creators", "amzauth.spapi"):
        lg = logging.getLogger(name)
        lg.addHandler(_wait_notice.handler)
        if lg.getEffectiveLevel() > logging.INFO:
            lg.setLevel(logging.INFO)


def err_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def out_console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def fail(
    message: str, code: int = EXIT_USAGE, *, as_json: bool = False, extra: dict[str, Any] | None = None
) -> NoReturn:
    """Report an error in one line (JSON on stdout under --json) and exit with the contract's code."""
    if as_json:
        emit_json({"error": message, **(extra or {})})
    err_console().print(f"[bold red]error:[/] {printable(message)}", markup=True)
    raise typer.Exit(code)


def check_port(port: int) -> None:
    """A usage error (exit 2) for a port outside 0-65535 (0 picks a free one)."""
    if not 0 <= port <= 65535:
        fail(f"--port must be between 0 and 65535, not {port}", EXIT_USAGE)


def serve_until_interrupted(
    what: str,
    app: Any,
    host: str,
    port: int,
    *,
    bind: Callable[[str, int], Any] | None = None,
    make: Callable[..., Any] | None = None,
    **server_options: Any,
) -> None:
    """Serve ``app`` on ``host:port`` until Ctrl-C; ``<what> listening on URL`` is the first line
    on stdout once it accepts connections (the contract scripts wait for). A port that cannot be
    bound exits 1 naming it. ``bind`` and ``make`` default to :mod:`amzauth.serving`'s (the
    sandbox brings its own: a deeper backlog, longer keep-alive); ``server_options`` go to ``make``."""
    import contextlib

    from amzauth import serving

    try:
        sock = (bind or serving.bind_socket)(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_FAILED)
    url = serving.socket_url(sock)

    def announce() -> None:
        sys.stdout.write(f"{what} listening on {url}\n")
        sys.stdout.flush()

    server = (make or serving.make_server)(app, on_started=announce, **server_options)
    with contextlib.suppress(KeyboardInterrupt):
        serving.serve_foreground(server, sock)


def read_lines(path: str, json_out: bool) -> list[tuple[int, str]]:
    """``(line number, text)`` of a one-item-a-line file (``-``: stdin), blank lines and ``#``
    comments skipped; an unreadable file is a usage error (JSON under --json)."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        fail(escape(f"cannot read {path}: {why}"), EXIT_USAGE, as_json=json_out, extra={"code": "input"})
    lines = ((n, line.split("#", 1)[0].strip()) for n, line in enumerate(text.splitlines(), 1))
    return [(n, s) for n, s in lines if s]


def escape(text: str) -> str:
    """Escape rich markup in text that goes through ``fail()`` (messages may hold ``[...]``)."""
    from rich.markup import escape as _escape

    return _escape(text)


def config_fields(exc: ConfigError) -> dict[str, Any]:
    """The --json fields naming what a ConfigError is about."""
    return {"key": exc.key, "profile": exc.profile, "file": exc.file}


def fail_network(exc: NetworkError, json_out: bool, *, attempts: bool = False) -> NoReturn:
    """Exit 3 for an unreachable endpoint; ``attempts`` adds how many requests were made."""
    tries = f" after {exc.attempts} attempts" if attempts and exc.attempts else ""
    fail(
        escape(f"{exc}{tries} — run `amzauth explain network`"),
        EXIT_NETWORK,
        as_json=json_out,
        extra={"code": "network", "kind": exc.kind, "url": exc.url, "retryable": True},
    )


def fail_token(
    exc: TokenError, json_out: bool, *, description: bool = True, retryable: bool = True
) -> NoReturn:
    """Exit 1 for a refused token request; the flags keep each command's --json fields as documented."""
    extra: dict[str, Any] = {"code": exc.code, "status": exc.status, "oauth_error": exc.error}
    if description:
        extra["error_description"] = exc.error_description
    extra["request_id"] = exc.request_id
    if retryable:
        extra["retryable"] = exc.retryable
    extra["explain"] = f"amzauth explain {exc.code}"
    fail(escape(f"{exc} — run `amzauth explain {exc.code}`"), EXIT_FAILED, as_json=json_out, extra=extra)


def fail_common(
    exc: BaseException, json_out: bool, *, token_description: bool = True, token_retryable: bool = True
) -> None:
    """Exit for the errors any profile command can meet (config 2, network 3, token 1); else return."""
    from amzauth.config import ConfigError
    from amzauth.errors import NetworkError, TokenError

    if isinstance(exc, ConfigError):
        fail(escape(str(exc)), EXIT_USAGE, as_json=json_out, extra={"code": "config", **config_fields(exc)})
    if isinstance(exc, NetworkError):
        fail_network(exc, json_out)
    if isinstance(exc, TokenError):
        fail_token(exc, json_out, description=token_description, retryable=token_retryable)
