"""newsbot: a Telegram bot that answers questions about news articles."""

__version__ = "0.1.0"
