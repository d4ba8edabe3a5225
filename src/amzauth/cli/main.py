"""Entry point: builds the typer app from one small module per command group.

Each ``cmd_*`` module exposes ``register(app)`` and imports its heavy dependencies inside the
command bodies. The command that runs is the only one built: :func:`main` gives click a group
whose command table loads a ``cmd_*`` module on first lookup (``amzauth --help`` loads them all,
so the help is the same), which keeps ``amzauth doctor --json`` from importing and building
every other command.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import typer

# Every top-level command and the module registering it, in the order typer lists them (plain
# commands in registration order, then the groups); tests/foundation/test_cli_lazy.py checks it
# against the eagerly built app.
COMMANDS: Final[dict[str, str]] = {
    "sandbox": "cmd_sandbox",
    "explain": "cmd_explain",
    "token": "cmd_token",
    "doctor": "cmd_doctor",
    "demo": "cmd_demo",
    "search": "cmd_creators",
    "items": "cmd_creators",
    "console": "cmd_console",
    "usage": "cmd_usage",
    "config": "cmd_config",
    "spapi": "cmd_spapi",
    "site": "cmd_site",
}
# Registration order of the modules (the eager app's order).
MODULES: Final = (
    "cmd_config",
    "cmd_sandbox",
    "cmd_explain",
    "cmd_token",
    "cmd_doctor",
    "cmd_demo",
    "cmd_creators",
    "cmd_console",
    "cmd_spapi",
    "cmd_site",
    "cmd_usage",
)

_SETTINGS: Final[dict[str, Any]] = {
    "name": "amzauth",
    "help": "OAuth for Amazon's Creators API and Selling Partner API: tokens, sandbox and a doctor that explains errors.",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
}


def _typer(**extra: Any) -> typer.Typer:
    import typer

    return typer.Typer(**{**_SETTINGS, **extra})


def build_app() -> typer.Typer:
    """The whole CLI as one typer app, every command registered (for ``CliRunner`` and tools)."""
    app = _typer()
    for name in MODULES:
        importlib.import_module(f"amzauth.cli.{name}").register(app)
    return app


class _LazyCommands(MutableMapping[str, Any]):
    """A click group's command table that builds a command when it is first looked up.

    The keys (every command, in help order) are known without importing anything, so click's
    "Did you mean" suggestions work; a value is the click command typer builds from the module
    that registers it.
    """

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def _load(self, module: str) -> None:
        import typer.main

        sub = _typer()
        importlib.import_module(f"amzauth.cli.{module}").register(sub)
        self._built.update(typer.main.get_group(sub).commands)

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._load(COMMANDS[name])  # KeyError for an unknown command, as a dict would
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        raise TypeError("the amzauth command table is fixed")

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS


def _plain_values_need_no_adapter() -> None:
    """Let typer skip building a pydantic TypeAdapter for a value that is already of its option's
    plain type (``str``, ``int``, ``float``, ``bool``: a default, a flag, or any text for a ``str``
    option).

    typer 0.2x builds one adapter for every option of the command that runs, even one left at its
    default, which loads pydantic's schema machinery (~90 ms of ``amzauth doctor --json``). Such a
    value comes out of the adapter unchanged, so handing it through is the same result; any other
    value, and every option with a parser, bounds or a file type, still goes to typer's own
    coercion. Older typer versions (no runtime parameters) are left alone.
    """
    try:
        from dataclasses import dataclass

        from typer import _coercion, core
    except ImportError:
        return
    param_cls: Any = getattr(core, "_TyperParameter", None)
    base: Any = getattr(_coercion, "RuntimeParam", None)
    build: Any = getattr(_coercion, "build_runtime_param", None)
    if param_cls is None or base is None or build is None or not hasattr(param_cls, "get_runtime_param"):
        return
    if getattr(param_cls, "_amzauth_plain", False):
        return

    @dataclass(frozen=True)
    class PlainValue(base):  # type: ignore[misc]
        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if type(value) is self.annotation:
                return value
            return build(self.descriptor)._coerce_value(value, param=param, ctx=ctx)

    original = param_cls.get_runtime_param

    def get_runtime_param(self: Any) -> Any:
        if getattr(self, "_runtime_param", None) is None:
            d = getattr(self, "type_descriptor", None)
            info = getattr(d, "parameter_info", None)
            if (
                d is not None
                and d.annotation in (str, int, float, bool)
                and d.file_annotation is None
                and getattr(info, "parser", None) is None
                and getattr(info, "min", None) is None
                and getattr(info, "max", None) is None
                and not getattr(info, "clamp", False)
            ):
                self._runtime_param = PlainValue(parameter_info=info, annotation=d.annotation, descriptor=d)
        return original(self)

    param_cls.get_runtime_param = get_runtime_param
    param_cls._amzauth_plain = True


def lazy_group() -> Any:
    """The root click group typer builds for the app, with a command table that loads on lookup."""
    import typer.main

    group = typer.main.get_group(_typer())
    group.commands = _LazyCommands()
    return group


def __getattr__(name: str) -> Any:
    if name == "app":  # the eager app, built on first use (tests drive it with CliRunner)
        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(name)


def main() -> None:
    """Run the CLI; turn any unexpected exception into one line and exit code 1 (``--debug`` shows it)."""
    import os

    debug = "--debug" in sys.argv or os.environ.get("AMZAUTH_DEBUG", "") not in ("", "0")
    try:
        from amzauth.cli import fast

        code = fast.main(sys.argv[1:])
        if code is not None:
            raise SystemExit(code)
        _plain_values_need_no_adapter()
        lazy_group()()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    except Exception as exc:
        if debug:
            raise
        sys.stderr.write(
            f"error: {type(exc).__name__}: {exc} (an amzauth bug: set AMZAUTH_DEBUG=1 to see the traceback)\n"
        )
        raise SystemExit(1) from None
