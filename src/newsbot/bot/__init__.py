"""The Telegram front end: python-telegram-bot over the service layer.

    app.py         the composition root: build_application(), running()
    commands.py    the one table of commands (handlers, /help, setMyCommands)
    readers.py     what readers can do: questions, "More", /latest, /start, /help
    admin.py       what admins can do: /add, /remove, /articles, /stats
    failures.py    the one error handler
    render.py      Telegram HTML: escaping, highlights, splitting at 4,096 characters
    paging.py      small callback_data for "More" and page buttons, state in bot_data
    context.py     the typed bot_data every handler shares
    playground.py  `newsbot chat`: the real bot against the emulator, in the terminal
    digests/       the digest scheduler, /subscribe and friends, the sender, rendering

This __init__ imports nothing, so `newsbot ask` and friends don't pay for importing telegram.
"""
