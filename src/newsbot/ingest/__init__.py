"""Ingestion, in reading order: a URL, a file or a record becomes stored, searchable passages.

    fetch.py       SafeFetcher: the only way newsbot reads a URL (no private addresses, limits)
    text.py        what both extraction paths share: ExtractedArticle, normalisation, fingerprints
    html.py        extract_html: article text and metadata from HTML (trafilatura)
    plaintext.py   parse_text_article: articles from plain text (title, byline, dateline)
    sentences.py   split_sentences
    passages.py    split_into_passages: the units that are indexed, retrieved and shown
    pipeline.py    Ingestor: URLs, files, folders and JSONL records into the store

This __init__ imports nothing, so importing one step doesn't import the others.
"""
