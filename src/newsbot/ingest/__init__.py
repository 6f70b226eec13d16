"""Ingestion, in reading order: a URL, a file or a record becomes stored, searchable passages.

    fetch.py       SafeFetcher: the only way newsbot reads a URL (no private addresses, limits)
    addresses.py   check_url: the URL, host and address policy every hop goes through
    response.py    content types, bounded decompression and sizes of a fetched body
    text.py        what both extraction paths share: ExtractedArticle, normalisation, fingerprints
    html.py        extract_html: article text and metadata from HTML (trafilatura)
    page_tree.py   the page's link-dense blocks and inline link cards, before trafilatura
    clutter.py     clean_paragraphs: what trafilatura leaves that is not the article
    lead.py        keep_lead: the first paragraph trafilatura's precision mode drops
    plaintext.py   parse_text_article: articles from plain text (title, source, body)
    datelines.py   parse_meta_line: the dateline and byline near the top of a text article
    sentences.py   split_sentences
    passages.py    split_into_passages: the units that are indexed, retrieved and shown
    pipeline.py    Ingestor: URLs, files, folders and JSONL records into the store

This __init__ imports nothing, so importing one step doesn't import the others.
"""
