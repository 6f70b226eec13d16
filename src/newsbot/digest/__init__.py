"""Daily digests, the service side: subscriptions, when each digest is due, what it holds, and
the protocol that delivers it exactly once. Nothing here knows about Telegram.

Exactly once per subscriber per day
-----------------------------------
PTB's JobQueue lives in memory, so the database is the truth. Each subscription row holds a
claim on one local day (`claimed_day`, `claim_state`). For each (chat, day) the sender:

1. builds the digest (reads only): articles added in (last_sent_at, cutoff], newest first;
2. waits for room under the flood limits;
3. CLAIMS the day with one conditional UPDATE (`claimed_day < day`, or the day's claim was
   released), committed before the request: across restarts, processes (`newsbot digest
   --now` beside the bot) and concurrent jobs, exactly one claimer wins;
4. sends;
5. records the outcome: SENT (and `last_sent_at = cutoff`), FAILED (admins are told) or
   BLOCKED (the subscription ends), or RELEASES the claim when Telegram refused with a 429
   before any part went out, so that the retry, or the next start, may claim it again.

Why that is exactly once: a day is sent only by its one claimer, and a claim is released only
when Telegram said no. A restart finds today's claim and sends nothing; finds a day whose time
passed today and that nobody claimed, and sends it once (`due_today`). A graceful stop waits
for the requests in flight and records them; digests still queued were never claimed.

The one window where exactly once is impossible: a hard crash (SIGKILL, power loss) between
the claim's commit and the outcome's commit, i.e. during the sendMessage round trip. The Bot
API has no idempotency key, so nobody can tell whether Telegram got that message. Its claim
stays SENDING ("in doubt", logged at the next start) and it is not resent: at most once,
never twice. Its articles aren't lost either: `last_sent_at` didn't move, so the next digest
starts where the last certain one ended.
"""
