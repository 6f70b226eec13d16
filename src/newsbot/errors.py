"""newsbot's own exceptions, one small tree: every error newsbot raises on purpose is in it.

    NewsbotError
     ├── ConfigError            a setting is missing or invalid
     ├── IngestError            an article could not be added
     │    ├── FetchError        the URL could not be fetched
     │    │    ├── RefusedURL   scheme, address or redirect not allowed
     │    │    ├── TooLarge     body over the size limit
     │    │    ├── NotHTML      content type we cannot extract from (PDF, image, ...)
     │    │    └── BadStatus    the server answered 4xx/5xx
     │    └── NoArticleText     extraction found no article text
     ├── BadSubscription        /subscribe arguments that aren't a time and a time zone
     ├── TelegramUnavailable    the Bot API could not be reached or refused to start the bot
     └── NotFound               an id that does not exist

Every message names the offending value, so it can be shown to the user as is. Programming
errors are not in the tree: using the bot before `post_init` attached its services raises
RuntimeError, a bad constructor argument ValueError.
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Base class of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    """A setting is missing or invalid."""


class IngestError(NewsbotError):
    """An article could not be added."""


class FetchError(IngestError):
    """A URL could not be fetched."""


class RefusedURL(FetchError):
    """The URL's scheme, address or a redirect target is not allowed."""


class TooLarge(FetchError):
    """The response body is larger than the limit."""


class NotHTML(FetchError):
    """The response is not a page we can extract an article from."""


class BadStatus(FetchError):
    """The server answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NoArticleText(IngestError):
    """Extraction found no article text."""


class BadSubscription(NewsbotError):
    """/subscribe arguments that aren't a time (HH:MM) and an IANA time zone.

    `template` (English, a catalog msgid) and `values` let the bot say it in the reader's
    language; the message is the English one."""

    def __init__(self, template: str, **values: str) -> None:
        super().__init__(template.format(**values))
        self.template = template
        self.values = values


class TelegramUnavailable(NewsbotError):
    """The Bot API could not be reached, or it refused to start the bot (not the token)."""


class NotFound(NewsbotError):
    """An id that does not exist."""
