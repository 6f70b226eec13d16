"""End to end, the reader's language: a reader whose Telegram is in Russian gets Russian help,
replies and buttons; /language changes it for the chat (kept across a restart) and back; the
command menu is registered in Russian too. English stays the default (the other e2e tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from botapi_emulator import BotAPIEmulator, inline_buttons
from newsbot.bot.replies import HINT
from tests.helpers.bot import RunningBot, hermetic, make_settings, running_bot

RUSSIAN = 33  # a reader whose Telegram app is in Russian
BAIKAL_RU = (
    "Ледовая переправа на Ольхон открылась раньше срока\n"
    "Ледовую переправу через Байкал на остров Ольхон открыли для легковых автомобилей в "
    "понедельник, на две недели раньше обычного. Декабрь выдался необычно холодным, и лёд "
    "на озере уже достиг толщины сорока сантиметров. По переправе смогут ездить машины массой "
    "до полутора тонн, а инспекторы будут каждое утро бурить лёд и проверять его толщину. "
    "В прошлом году переправу удалось открыть только в конце января, а два года назад она "
    "не заработала вовсе из-за тёплой зимы. Жители острова говорят, что без ледовой дороги "
    "продукты и топливо приходится возить на судне на воздушной подушке, и это обходится "
    "втрое дороже.\n\n"
    "Рыбаки из посёлка Хужир обрадовались раннему открытию: зимний сезон лова омуля зависит "
    "от того, успеют ли они добраться до глубоководных стоянок до февральских штормов. "
    "Учёные Лимнологического института предупредили, что под толстым льдом скрываются "
    "трещины, появившиеся из-за перепадов температуры, и попросили водителей не съезжать "
    "с размеченного маршрута между вехами. Местные власти обещали выставить посты у въезда "
    "на лёд и закрыть переправу при первой же оттепели."
)


def russian_reader(emu: BotAPIEmulator) -> None:
    emu.add_user(RUSSIAN, "Иван", language_code="ru")
    emu.private_chat(RUSSIAN)


async def test_a_russian_reader_gets_russian_help_replies_and_buttons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    async with BotAPIEmulator() as emu:
        russian_reader(emu)
        async with running_bot(emu, make_settings(tmp_path, emu)) as bot:
            await russian_help_menu_and_not_found(bot)
            added = await bot.service.ingestor.add_text(BAIKAL_RU)
            assert added.status == "added", added
            # A Russian question about the Russian article: the answer, Russian UI around it.
            answer = await bot.one("Когда открылась ледовая переправа на Ольхон?", user=RUSSIAN)
            assert (answer.text or "").startswith("Ледовая переправа на Ольхон")
            labels = [b["text"] for b in inline_buttons(answer)]
            assert "Подробнее из этой статьи" in labels and labels[-2:] == ["👍", "👎"]
            assert not {"More", "More from this article"} & set(labels)
            up = next(b for b in inline_buttons(answer) if b["text"] == "👍")
            for _ in range(2):
                bot.emu.user_presses(answer, up["callback_data"], user_id=RUSSIAN)
                await bot.emu.wait_for_call("answerCallbackQuery")
            assert [a.get("text") for a in bot.emu.callback_answers[-2:]] == [
                "Спасибо за оценку!",
                "Вы уже оценили этот ответ.",
            ]
            # The same words from an English reader: the same article, English buttons.
            english = await bot.one("Когда открылась ледовая переправа на Ольхон?")
            assert "More from this article" in [b["text"] for b in inline_buttons(english)]
            assert (await bot.one("/latest", user=RUSSIAN)).text == (
                "Свежие статьи\n"
                "Ледовая переправа на Ольхон открылась раньше срока (без ссылки)\n"
                "Xi Jinping calls for greater international technology cooperation (без ссылки) · "
                "Media Inter World · 2021-09-25"
            )
            unknown = await bot.one("/frobnicate", user=RUSSIAN)
            assert (unknown.text or "").startswith("Команды /frobnicate я не знаю. Вот что")
            hint = await bot.one("спасибо", user=RUSSIAN)
            assert (hint.raw_text or "").startswith("Задайте мне вопрос о новостях")
            assert hint.raw_text != HINT
            refused = await bot.one("/stats", user=RUSSIAN)
            assert refused.text == "Эта команда — только для администраторов."


async def russian_help_menu_and_not_found(bot: RunningBot) -> None:
    start = (await bot.one("/start", user=RUSSIAN)).text or ""
    assert start.startswith("Я отвечаю на вопросы о новостных статьях, которые знаю.")
    assert "/latest — самые свежие статьи" in start
    assert "/language [en|ru|auto] — язык, на котором я отвечаю в этом чате" in start
    assert "/add" not in start
    # The command menus: English by default, Russian for Russian apps (admins' too).
    menus = {key: [c["description"] for c in value] for key, value in bot.emu.commands.items()}
    assert menus['{"type": "default"}|'][1] == "every command"
    assert menus['{"type": "default"}|ru'][1] == "все команды"
    assert len(menus['{"chat_id": 11, "type": "chat"}|ru']) == len(
        menus['{"chat_id": 11, "type": "chat"}|']
    )
    not_found = await bot.one("Кто выиграл чемпионат мира по керлингу?", user=RUSSIAN)
    assert not_found.text == (
        "Я не нашёл этого в 1 известной мне статье. Попробуйте другие слова или загляните в "
        "/latest."
    )


async def test_language_command_switches_the_chat_and_survives_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch)
    async with BotAPIEmulator() as emu:
        russian_reader(emu)
        settings = make_settings(tmp_path, emu)
        async with running_bot(emu, settings) as bot:
            shown = await bot.one("/language", user=RUSSIAN)
            assert (shown.text or "").startswith("Язык в этом чате: Русский. Выберите: ")
            switched = await bot.one("/language en", user=RUSSIAN)
            assert switched.text == "Done: I speak English here now."
            assert (await bot.one("/help", user=RUSSIAN)).text.startswith("I answer questions")  # type: ignore[union-attr]
            assert (await bot.one("/language ru")).text == "Готово, язык в этом чате: Русский."
            bad = await bot.one("/language klingon")
            assert (bad.text or "").startswith("Языка «klingon» я не знаю. Выберите: ")
        async with running_bot(emu, settings) as bot:  # another process: the database knows
            assert (await bot.one("/help")).text.startswith("Я отвечаю на вопросы")  # type: ignore[union-attr]
            assert (await bot.one("/help", user=RUSSIAN)).text.startswith("I answer questions")  # type: ignore[union-attr]
            auto = await bot.one("/language auto", user=RUSSIAN)
            assert auto.text == (
                "Готово: в этом чате я говорю на языке вашего приложения Telegram (Русский)."
            )
            assert (await bot.one("/language auto")).text == (
                "Done: I follow your Telegram app's language here (English)."
            )
            usage = await bot.one("/subscribe 25:00", user=RUSSIAN)
            assert usage.text == "«25:00» — не время суток. Пример: /subscribe 07:30 Europe/Moscow."
        assert emu.rejected == []
