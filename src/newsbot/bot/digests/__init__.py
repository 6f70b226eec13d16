"""Digests in the Telegram bot (the service side is `newsbot.digest`).

jobs.py        the JobQueue schedule and the sender of a running bot: start/stop_digests
commands.py    /subscribe, /unsubscribe, /digest, /settings
sender.py      DigestSender: plan, wait at the flood gate, claim, send, record
render.py      a digest as Telegram HTML messages
"""
