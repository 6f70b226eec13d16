"""A chat's messages as a conversation (the service side of the bot's replies): which messages
are questions (`followup`), what of a passage an answer shows (`snippet`), and the replies
themselves, with follow-ups and "More" (`chat`). Nothing here knows about Telegram."""
