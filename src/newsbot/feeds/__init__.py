"""Feeds that bring articles in by themselves: RSS and Atom, polled on their own interval.

No Telegram here: the bot (`newsbot.bot.feed_jobs`) and the CLI are front ends.
"""

from newsbot.feeds.opml import export_opml, read_opml
from newsbot.feeds.poller import FeedProblem, FeedService, PollOutcome
from newsbot.feeds.store import FeedExists, FeedInfo, FeedStore

__all__ = [
    "FeedExists",
    "FeedInfo",
    "FeedProblem",
    "FeedService",
    "FeedStore",
    "PollOutcome",
    "export_opml",
    "read_opml",
]
