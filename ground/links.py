"""Markdown links and images as a reader sees them, and formulas drawn as pictures.

Notes written for GitHub before it rendered math draw each formula as an image from a
TeX-rendering service, the TeX as the image's text: lawlite19's machine-learning notes (dev7)
hold 201 such images, and their URLs are 27 % of the library's characters. Shown raw, such a
line is a broken image and an escaped URL; dropped as an image, "PReLU 的定义为：" is left with
nothing after it. Read as TeX, it is the formula the notes mean.

A formula image is one whose address is a TeX renderer (codecogs, Google's chart ``cht=tx``, a
``tex=`` or ``/render/math`` parameter, upmath); its TeX is its text, or when it has none, the
TeX its address carries.

>>> tex_images(r"误差率：![$${x \\over m} \\le 0.01$$](http://latex.codecogs.com/gif.latex?x)")
'误差率： ${x \\\\over m} \\\\le 0.01$ '
>>> tex_images("![loss](img/loss.png)")
'![loss](img/loss.png)'
>>> readable("见 [教程](https://a.b/c)：![图 1](img/1.png) ![\\\\alpha](https://latex.codecogs.com/svg?a)")
'见 教程：图 1  $\\\\alpha$ '
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

_TEXT = r"\[(?P<text>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"  # may hold brackets: "U[-a, a]"
_TARGET = r"\((?P<url>(?:[^()\s]|\([^()\s]*\))*)(?:\s+\"[^\"\n]*\")?\)"
_IMAGE = re.compile("!" + _TEXT + _TARGET)
_LINK = re.compile("!?" + _TEXT + _TARGET)
_TEX_RENDERER = re.compile(r"codecogs\.com|[?&]cht=tx\b|[?&]tex=|/render/math|upmath\.me|"
                           r"latex\.[a-z]+\.[a-z]+/|/mathtex|mathurl\.com", re.IGNORECASE)


def _as_tex(match: re.Match) -> str | None:
    if not _TEX_RENDERER.search(match.group("url")):
        return None
    tex = (match.group("text") or _tex_in_address(match.group("url"))).replace("$", " ").strip()
    return f" ${tex}$ " if tex else None


_TEX_QUERY = re.compile(r"^[^?]*\.latex\?(?P<codecogs>.+)$|[?&](?:chl|math|tex)=(?P<param>[^&]+)",
                        re.IGNORECASE)
_RENDER_OPTION = re.compile(r"^\s*(?:\\(?:dpi|bg|fg)(?:\{[^}]*\}|_\w+)|\\fn_\w+|"
                            r"\\(?:inline|tiny|small|normal|large|Large|LARGE|huge)\b)\s*")


def _tex_in_address(url: str) -> str:
    """The TeX a formula image's address holds, for an image written without text (one in the
    seven dev libraries, dev7's Xavier derivation: "![](http://latex.codecogs.com/gif.latex?
    %5Clarge%20%24%24Var…)" was shown as nothing); the renderer's size and colour options left
    out. Read as text: nothing is fetched.

    >>> _tex_in_address("http://latex.codecogs.com/gif.latex?%5Clarge%20%24%24a%20&plus;%20b%24%24")
    '$$a + b$$'
    >>> _tex_in_address("https://chart.googleapis.com/chart?cht=tx&chl=x%5E2")
    'x^2'
    """
    match = _TEX_QUERY.search(url)
    if match is None:
        return ""
    tex = html.unescape(unquote(match.group("codecogs") or match.group("param")))
    while (option := _RENDER_OPTION.match(tex)) and option.end():
        tex = tex[option.end():]
    return tex.strip()


def tex_images(text: str) -> str:
    """``text`` with each formula image replaced by its TeX between ``$``; other images and
    links as they are."""
    return _IMAGE.sub(lambda m: _as_tex(m) or m.group(0), text)


def readable(text: str) -> str:
    """``text`` as read: a formula image as its TeX, another image or a link as its text (no
    address: an encoded URL is noise to an embedder and a word index)."""
    return _LINK.sub(lambda m: _as_tex(m) or m.group("text"), text)
