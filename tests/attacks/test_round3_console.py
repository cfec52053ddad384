"""Round three, the staff console: text that a store, a rider or a customer chose (a store's
name, a courier's name, an order number) never reaches the page as markup.

Preact escapes text children, but Leaflet does not: `bindTooltip(string)` and
`bindPopup(string)` set innerHTML. A store renamed `<img src=x onerror=...>` by a partner
admin would otherwise be parsed in every HQ operator's console (CSP stops the inline handler,
not the markup: forms, overlays and CSS injection still work)."""
from __future__ import annotations

import re

from console.routes import ROOT

OWN_SCRIPTS = sorted(p for p in ROOT.glob("*.js"))
# A call whose first argument is built by label(...) (a text node in a span) is safe; any other
# argument (a string, a concatenation) is HTML to Leaflet.
_HTML_SINKS = re.compile(r"\.(bindTooltip|bindPopup|setTooltipContent|setPopupContent|setContent)\(\s*(?!label\()")


def test_leaflet_labels_are_text_nodes_never_html_strings():
    offenders = []
    for path in OWN_SCRIPTS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _HTML_SINKS.search(line):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


def test_label_sets_text_content_not_markup():
    source = (ROOT / "map.js").read_text(encoding="utf-8")
    body = re.search(r"function label\(text\) \{(.*?)\n  \}", source, re.S)
    assert body and "textContent" in body.group(1) and "innerHTML" not in body.group(1)


def test_own_scripts_never_write_html():
    for path in OWN_SCRIPTS:
        source = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "dangerouslySetInnerHTML", "eval("):
            assert sink not in source, f"{path.name} uses {sink}"


def test_tokens_travel_in_headers_and_the_socket_init_never_in_urls_or_the_browser_console():
    gql = (ROOT / "gql.js").read_text(encoding="utf-8")
    assert '"Authorization"' in gql or "Authorization" in gql  # the header carries the token
    for path in OWN_SCRIPTS:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"[?&](access_?token|token|refresh_?token|jwt)=", source, re.I), path.name
        assert not re.search(r"console\.(log|info|warn|error|debug)\(", source), path.name
        # the session lives in the tab (sessionStorage); localStorage holds the language choice only
        assert set(re.findall(r"localStorage\.\w+\(([^,)]*)", source)) <= {'"qd.console.lang"'}, path.name
    socket_url = re.search(r"new WebSocket\(([^;]*)\)", gql).group(1)
    assert "session" not in socket_url and "access" not in socket_url
