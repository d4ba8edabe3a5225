"""``amzauth demo``: the README's first command. Everything runs against the embedded sandbox.

It shows, in order: a healthy Test Connection, a cached product search, then the two mistakes that
cost Creators API users the most time (a 3.x secret under a 2.x version; a scope override of the
other family) with the doctor's diagnosis of each, then how to switch to real credentials.

Each step says on stderr what it is doing as it starts, and any wait the engines decide (a retry)
is announced too; the staged mistakes are answered at once and not retried (the demo shows the
sandbox's count of token requests for each), so the whole demo takes a second or two once installed.
"""

from __future__ import annotations

from typing import Any

import typer

# Public, sandbox-only demo credentials (docs/sandbox.md); they work nowhere else.
DEMO_CLIENT_ID = "amzn1.application-oa2-client.5a4db0x31demo00000000000000031"
DEMO_SECRET = "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def _profile(sandbox: str, **changes: Any) -> Any:
    from amzauth.config import profile_from_mapping

    values = {
        "api": "creators",
        "credential_version": "3.1",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_SECRET,
        "marketplace": "www.amazon.com",
        "partner_tag": "demo-20",
        "sandbox": sandbox,
        "store": "memory",
        **changes,
    }
    return profile_from_mapping(values, name="demo")


def demo(
    keywords: str = typer.Option("wireless earbuds", "--keywords", help="What the product search looks for."),
) -> None:
    """Start the sandbox in-process, run the doctor and a product search, and stage two misconfigurations."""
    from rich.console import Console
    from rich.rule import Rule
    from rich.table import Table

    from amzauth.cli._common import announce_waits, say_step
    from amzauth.creators import CreatorsClient
    from amzauth.doctor import run_doctor
    from amzauth.doctor.render import diagnosis_box, render_report, step_diagram
    from amzauth.sandbox import run_sandbox

    con = Console(highlight=False)
    con.print(
        "[bold]amzauth demo[/]: a local Amazon (the sandbox) answers exactly as Amazon would; "
        "no Amazon account is needed.\n"
    )
    announce_waits()
    say_step("starting the sandbox (a local Amazon) in this process")
    with run_sandbox() as sb:
        con.print(
            f"sandbox listening on {sb.url}  (every https://HOST/PATH is served at {sb.url}/HOST/PATH)\n"
        )

        con.print(Rule("1. Test Connection with a healthy 3.1 credential"))
        say_step("1. Test Connection: config, token, one API call")
        report = run_doctor(_profile(sb.url), on_step=say_step)
        render_report(report.doc, con)

        con.print(Rule(f"2. Product search: {keywords!r} on www.amazon.com"))
        sb.clear_requests()
        say_step(f"2. searching {keywords!r} twice (the second answer comes from the cache)")
        with CreatorsClient(_profile(sb.url)) as client:
            first = client.search_items(keywords, item_count=5)
            second = client.search_items(keywords, item_count=5)
        table = Table(show_lines=False)
        for col in ("ASIN", "title", "price", "rating", "affiliate link"):
            table.add_column(col, overflow="fold")
        for item in first.items:
            price = f"{item.price:.2f} {item.currency}" if item.price is not None else "-"
            rating = f"{item.rating} ({item.review_count})" if item.rating is not None else "-"
            table.add_row(item.asin, (item.title or "")[:60], price, rating, item.url or "")
        con.print(table)
        searches = sb.requests(path="/catalog/v1/searchItems")
        con.print(
            f"{first.total} results; the same search again came from the cache "
            f"(cached={second.cached}): the sandbox saw {len(searches)} searchItems request for the two calls.\n"
        )

        mistakes = (
            ('3. Mistake: a 3.x secret with credential_version = "2.1"', {"credential_version": "2.1"}),
            (
                '4. Mistake: a scope override of the other family (scope = "creatorsapi/default")',
                {"scope": "creatorsapi/default"},
            ),
        )
        for title, changes in mistakes:
            con.print(Rule(title))
            say_step(title.replace("Mistake", "staging the mistake", 1))
            sb.clear_requests()
            bad = run_doctor(_profile(sb.url, **changes), on_step=say_step)
            con.print(step_diagram(bad.doc))
            if bad.doc["diagnosis"]:
                con.print(diagnosis_box(bad.doc["diagnosis"]))
            asked = [r for r in sb.requests() if r["path"].endswith("/token")]
            con.print(
                f"The sandbox saw {len(asked)} token request for this mistake: a refusal that no retry "
                "can fix is diagnosed at once, not retried.\n"
            )

    con.print(Rule("5. Your own credentials"))
    con.print(
        "Write ./amzauth.toml (or ~/.config/amzauth/config.toml):\n\n"
        "  \\[profiles.default]\n"
        '  api = "creators"\n'
        '  credential_version = "3.1"      # as shown next to the credential in Associates Central\n'
        '  client_id = "amzn1.application-oa2-client...."\n'
        '  client_secret = "env:CREATORS_SECRET"\n'
        '  marketplace = "www.amazon.com"\n'
        '  partner_tag = "yourtag-20"\n\n'
        'then run [bold]amzauth doctor[/], [bold]amzauth search "kindle"[/], or [bold]amzauth sandbox[/] to '
        "test your own code against the local Amazon. `amzauth explain CODE` explains any error code.",
        soft_wrap=True,
    )
