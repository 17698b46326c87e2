"""Find every reference a page makes to another host.

Client pages must open offline: this check lists each script, stylesheet, image, font,
frame or link that would be fetched from the network. The renderer refuses a page that has
one, and the tests run it on every page of a run.
"""

from __future__ import annotations

import html
import re

__all__ = ["check_offline"]

_TAG = re.compile(r"""<([A-Za-z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_ATTR = re.compile(r"""([^\s"'<>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
_NETWORK = re.compile(r"^\s*(?:(?:https?|ftp|wss?):)?//", re.IGNORECASE)
_RESOURCE_ATTRS = frozenset(
    {"src", "srcset", "imagesrcset", "poster", "data", "background", "lowsrc", "manifest"}
)
_RESOURCE_HREF_TAGS = frozenset({"link", "use", "image", "feimage", "script"})
_LINK_ATTRS = frozenset({"href", "xlink:href", "action", "formaction", "cite", "ping"})
_SRCSET_URL = re.compile(r"(?:^|,)\s*(\S+)")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'");\s]*)""", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_QUOTED_URL = re.compile(r"""["'`]((?:https?:)?//[^"'`\s]+)""", re.IGNORECASE)
_META_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)


def _is_embedded(value: str) -> bool:
    value = html.unescape(value).strip()
    return not value or value.startswith("#") or value[:5].lower() == "data:"


def check_offline(html_text: str, *, links: bool = True) -> list[str]:
    """List every reference in an HTML page to something outside the page.

    A page passes when the list is empty: it then opens the same way from an e-mail
    attachment, a USB stick or an air-gapped laptop.

    Parameters
    ----------
    html_text : str
        The page's HTML.
    links : bool, default True
        Also report hyperlinks to http(s) or protocol-relative URLs (``<a href>``, form
        actions). They load nothing when the page opens, so :func:`render_page` checks with
        ``links=False``; tests use the default.

    Returns
    -------
    list of str
        Each external reference once, in order of appearance: URLs in ``src``, ``srcset``,
        ``poster``, ``data`` and the ``href`` of ``<link>``, ``<script>`` and SVG elements
        (anything that is not a data URI or a ``#fragment``, so local files count too), URLs
        in CSS ``url()``, every CSS ``@import``, meta refresh targets, network URLs quoted
        inside inline scripts (dynamic ``import()``), and with ``links=True`` network URLs in
        the remaining link attributes.

    Raises
    ------
    TypeError
        If ``html_text`` is not a str.

    Notes
    -----
    A regular-expression scan, deliberately broad: a false alarm costs a look, a miss costs a
    page that breaks in front of the client.

    Examples
    --------
    >>> check_offline('<script src="https://cdn.example.org/x.js"></script><a href="#top">t</a>')
    ['https://cdn.example.org/x.js']
    >>> check_offline('<img src="data:image/png;base64,AAAA"><style>@import "x.css";</style>')
    ['@import x.css']
    """
    if not isinstance(html_text, str):
        raise TypeError("html_text must be a str")
    found: dict[str, None] = {}
    for tag in _TAG.finditer(html_text):
        name = tag.group(1).lower()
        attrs = {
            m.group(1).lower(): next(v for v in m.groups()[1:] if v is not None)
            for m in _ATTR.finditer(tag.group(2))
        }
        for attr, value in attrs.items():
            urls = [value]
            if attr in ("srcset", "imagesrcset"):  # "url descriptor, url descriptor"
                urls = [url.rstrip(",") for url in _SRCSET_URL.findall(value)]
            resource = attr in _RESOURCE_ATTRS or (
                attr in ("href", "xlink:href") and name in _RESOURCE_HREF_TAGS
            )
            for url in urls:
                if resource and not _is_embedded(url):
                    found[html.unescape(url).strip()] = None
                elif links and attr in _LINK_ATTRS and _NETWORK.match(html.unescape(url)):
                    found[html.unescape(url).strip()] = None
        if name == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            target = _META_REFRESH.search(attrs.get("content", ""))
            if target:
                found[target.group(1).strip()] = None
    for match in _CSS_URL.finditer(html_text):
        url = html.unescape(match.group(2)).strip().strip("'\"")
        if not _is_embedded(url):
            found[url] = None
    for match in _CSS_IMPORT.finditer(html_text):
        found[f"@import {match.group(1)}".strip()] = None
    for script in _SCRIPT.finditer(html_text):
        for match in _QUOTED_URL.finditer(script.group(1)):
            found[match.group(1)] = None
    return list(found)
