"""What the three example sites share: a profile for the sandbox, and the "listening on" line.

Each example runs against the amzauth sandbox by one command. Without ``--sandbox URL`` it starts
its own sandbox in-process (the demo world, no Amazon account needed); with it, it uses yours
(``amzauth sandbox``). The profile it writes uses the demo world's public, sandbox-only
credentials and ``store = "memory"``, so every run starts cold; with ``--cache-dir DIR`` it keeps
product data in ``DIR/creators.sqlite3`` instead (``store = "sqlite"``), which outlives a restart
and which other processes of a fleet share.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from amzauth.sandbox import run_sandbox
from amzauth.sandbox.world import demo_world


def parse_args(name: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=name, description=f"amzauth site kit example: {name}")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    p.add_argument("--sandbox", metavar="URL", help="use this running sandbox instead of starting one")
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="keep the product cache in DIR/creators.sqlite3 (kept across restarts) instead of in memory",
    )
    return p.parse_args()


def write_profile(sandbox_url: str, directory: Path, cache_dir: str | None = None) -> Path:
    """A profiles file for the demo world's 3.1 credential on amazon.com, pointed at the sandbox."""
    cred = next(
        c for c in demo_world().creators_credentials if c.version == "3.1" and c.eligible and c.enabled
    )
    mp = "www.amazon.com"
    path = directory / "profiles.toml"
    path.write_text(
        "[profiles.default]\n"
        'api = "creators"\n'
        f'credential_version = "{cred.version}"\n'
        f'client_id = "{cred.client_id}"\n'
        f'client_secret = "{cred.client_secret}"\n'
        f'marketplace = "{mp}"\n'
        f'partner_tag = "{cred.partner_tags[mp][0]}"\n'
        f'sandbox = "{sandbox_url}"\n'
        + (
            'store = "memory"\n'
            if cache_dir is None
            else f'store = "sqlite"\ncache_dir = {json.dumps(cache_dir)}\n'
        )
    )
    path.chmod(0o600)
    return path


@contextlib.contextmanager
def demo_profile(sandbox_url: str | None, cache_dir: str | None = None) -> Iterator[Path]:
    """Sets ``AMZAUTH_CONFIG`` to a profile for the sandbox (started here when no URL is given)."""
    with tempfile.TemporaryDirectory(prefix="amzauth-example-") as tmp, contextlib.ExitStack() as stack:
        if sandbox_url is None:
            sandbox_url = stack.enter_context(run_sandbox()).url
        path = write_profile(sandbox_url, Path(tmp), cache_dir)
        os.environ["AMZAUTH_CONFIG"] = str(path)
        yield path


def announce(url: str) -> None:
    sys.stdout.write(f"example listening on {url}\n")
    sys.stdout.flush()
