"""What the ingest pipeline tests (tests/ingest/test_pipeline*.py) feed in: an article as
HTML, one as plain text, and a PDF."""

from __future__ import annotations

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Ice road opens on Lake Baikal</title></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Ice road opens on Lake Baikal</h1>
<p>The ice road across Lake Baikal opened on Monday, two weeks earlier than last year, after a
cold December froze the lake to a depth of sixty centimetres, officials in Irkutsk said.</p>
<p>Trucks of up to five tonnes may cross between Kurkut and Olkhon island. Drivers must keep their
windows open and their seat belts off, so they can leave the cab quickly if the ice cracks.</p>
<p>Local guides said tourists had already arrived to photograph the clear blue ice, which the
lake is famous for in January and February.</p>
</article><footer>Copyright The Northern Courier</footer></body></html>
"""
ARTICLE_TEXT = """Volcano erupts near Grindavík

A volcano erupted on the Reykjanes peninsula on Monday evening, the Icelandic Met Office said.

Lava flowed towards the town of Grindavík, which had been evacuated in November. No flights
were cancelled at Keflavík airport.
"""
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
