"""SP-API test helpers: demo-app values, small worlds, a profiles file, and a robot seller.

The robot drives the sandbox's consent page over HTTP exactly as a browser would: GET the consent
URL, read the form, POST it, and follow the redirect to whatever callback URL Amazon chose.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path
from typing import Any

import httpx

from amzauth.config import Profile, profile_from_mapping
from tests.support import register_secret

APP_ID = "amzn1.sp.solution.5a4db0x0-demo-4d2a-8f00-000000000001"
CLIENT_ID = "amzn1.application-oa2-client.5a4db0xsp01draft000000000000001"
CLIENT_SECRET = "amzn1.oa2-cs.v1.5a4db0xsp01draftsecretnotreal0000000000000000001"
NA_REFRESH = "Atzr|IwEBsandbox-demo-na-repricer-000000000000000000000000000001"
EU_REFRESH = "Atzr|IwEBsandbox-demo-eu-repricer-000000000000000000000000000003"
NA_SELLER = "A1SANDBOXDEMONA"
EU_SELLER = "A2SANDBOXDEMOEU"
register_secret(CLIENT_SECRET, NA_REFRESH, EU_REFRESH)

_FORM_RE = re.compile(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', re.S)
_INPUT_RE = re.compile(r"<input([^>]*)>")
_ATTR_RE = re.compile(r'(\w+)="([^"]*)"')


def app_values(sandbox_url: str | None, redirect_uri: str, /, **changes: Any) -> dict[str, Any]:
    """Profile values for the demo draft app (``redirect_uri`` must be one the world registers)."""
    values: dict[str, Any] = {
        "api": "spapi",
        "region": "na",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "application_id": APP_ID,
        "redirect_uri": redirect_uri,
        "draft": True,
        "marketplace": "ATVPDKIKX0DER",
    }
    if sandbox_url:
        values["sandbox"] = sandbox_url
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def make_profile(sandbox_url: str | None, redirect_uri: str, /, **changes: Any) -> Profile:
    return profile_from_mapping(app_values(sandbox_url, redirect_uri, **changes), name="seller")


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_profiles(path: Path, profiles: dict[str, dict[str, Any]], header: str = "") -> Path:
    """A profiles file with a comment per table, so tests can check edits keep the rest."""
    lines = [header] if header else []
    for name, values in profiles.items():
        lines.append(f"# profile {name}: kept by amzauth edits")
        lines.append(f"[profiles.{name}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in values.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def world_with(
    base: dict[str, Any], *, app: dict[str, Any] | None = None, limits: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A copy of ``base`` with the demo draft app's fields (and the limits) changed."""
    w = copy.deepcopy(base)
    if app:
        for a in w["spapi_apps"]:
            if a["application_id"] == APP_ID:
                a.update(app)
    if limits:
        w.setdefault("limits", {}).update(limits)
    return w


def consent_form(page: str) -> tuple[str, dict[str, str], list[str]]:
    """(action, hidden fields, seller ids offered) of a consent page."""
    m = _FORM_RE.search(page)
    assert m, f"no consent form on the page:\n{page[:1500]}"
    action, inner = html.unescape(m.group(1)), m.group(2)
    hidden: dict[str, str] = {}
    sellers: list[str] = []
    for tag in _INPUT_RE.findall(inner):
        attrs = {k: html.unescape(v) for k, v in _ATTR_RE.findall(tag)}
        if attrs.get("type") == "hidden":
            hidden[attrs["name"]] = attrs.get("value", "")
        elif attrs.get("type") == "radio" and attrs.get("name") == "selling_partner_id":
            sellers.append(attrs["value"])
    return action, hidden, sellers


def confirm_consent(consent_url: str, seller: str | None = None) -> str:
    """Act as the seller: open the consent page, pick a seller, confirm. Returns the redirect Location."""
    with httpx.Client(timeout=15) as http:
        r = http.get(consent_url)
        assert r.status_code == 200, r.text[:1500]
        action, hidden, sellers = consent_form(r.text)
        chosen = seller or sellers[0]
        assert chosen in sellers, (chosen, sellers)
        post_url = str(httpx.URL(consent_url).join(action))
        r2 = http.post(post_url, data={**hidden, "selling_partner_id": chosen, "action": "confirm"})
        assert r2.status_code == 302, r2.text[:1500]
        return r2.headers["location"]


class Robot:
    """Confirms consent in a background thread once the URL is known, then opens the redirect.

    ``tamper`` rewrites the Location before it is opened (a forged or stale callback).
    """

    def __init__(self, seller: str | None = None, tamper: Any = None) -> None:
        import threading

        self.seller = seller
        self.tamper = tamper
        self.callback_status: int | None = None
        self.callback_page = ""
        self.location = ""
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._threading = threading

    def __call__(self, url: str) -> None:
        self._thread = self._threading.Thread(target=self._run, args=(url,), daemon=True)
        self._thread.start()

    def _run(self, url: str) -> None:
        try:
            loc = confirm_consent(url, self.seller)
            self.location = self.tamper(loc) if self.tamper else loc
            r = httpx.get(self.location, timeout=30)
            self.callback_status, self.callback_page = r.status_code, r.text
        except BaseException as exc:  # reported by join()
            self.error = exc

    def join(self, timeout: float = 30) -> None:
        assert self._thread is not None, "the consent URL was never handed out"
        self._thread.join(timeout)
        if self.error is not None:
            raise self.error


def replace_param(url: str, name: str, value: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    q = [(k, value if k == name else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(q)))
