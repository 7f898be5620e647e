"""Writes the HTML 4 named character references, one "name code-point" pair a line, from
Python's html.entities.name2codepoint (the HTML 4.01 table), for HtmlTextTest.

Run from the repository root:  python3 data/src/test/python/html_entities_fixture.py
"""
import html.entities
import pathlib

out = pathlib.Path(__file__).resolve().parents[1] / "resources" / "text" / "html4_entities.txt"
items = sorted(html.entities.name2codepoint.items())
out.write_text("".join(f"{name} {cp}\n" for name, cp in items), encoding="ascii")
print(f"{len(items)} entities -> {out}")
