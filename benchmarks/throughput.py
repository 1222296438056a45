"""Updates per second through the emulator: the bot's /start path vs a bare PTB echo bot.

Usage: python benchmarks/throughput.py [N]   (default N = 1000)

All runs use the same emulator in the same process, so the ratio is what matters on a
noisy machine. Three runs:
  echo        a bare PTB Application that echoes every text (no persistence, no limiter)
  bot         our Application without the rate limiter (handler path, persistence, SQLite)
  bot+limit   our production configuration, capped by AIORateLimiter at ~30 messages/s
              (run on min(N, 150) messages: it measures Telegram's cap, not our code)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.app import create_application, start_polling, stop_application
from bot.channels.emulator import Emulator
from bot.config import load_settings

TOKEN = "123456:BENCHMARK"
USERS = 50  # distinct private chats the messages come from


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    await update.effective_message.reply_text(update.effective_message.text)


def build_echo(emulator: Emulator) -> Application:
    """The reference: PTB with one handler and nothing else."""
    application = ApplicationBuilder().token(TOKEN).base_url(f"{emulator.url}/bot").build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


async def start_bare(application: Application, poll_timeout: int) -> None:
    """Plain PTB start-up, for the echo reference (it has none of our services)."""
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=poll_timeout)


async def measure(emulator: Emulator, application: Application, count: int) -> float:
    """Inject `count` /start messages, wait for as many replies; return updates/s."""
    emulator.reset()
    ours = "services" in application.bot_data
    await (start_polling if ours else start_bare)(application, poll_timeout=1)
    try:
        started = time.perf_counter()
        for i in range(count):
            emulator.inject_text(10_000 + i % USERS, "/start")
        while emulator.stats()["calls"].get("sendMessage", 0) < count:
            await asyncio.sleep(0.005)
        return count / (time.perf_counter() - started)
    finally:
        if ours:
            await stop_application(application)
        else:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()


async def main(count: int) -> None:
    """Run the three configurations and print the figures."""
    with Emulator(host="127.0.0.1", port=0) as emulator, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(_env_file=None, bot_token=None,
                                 database_path=Path(tmp) / "bench.sqlite3")
        base_url = f"{emulator.url}/bot"
        await measure(emulator, build_echo(emulator), min(count, 100))  # warm-up
        echo_rate = await measure(emulator, build_echo(emulator), count)
        bot = await create_application(settings, token=TOKEN, base_url=base_url,
                                       rate_limited=False)
        bot_rate = await measure(emulator, bot, count)
        limited_count = min(count, 150)
        limited = await create_application(settings, token=TOKEN, base_url=base_url)
        limited_rate = await measure(emulator, limited, limited_count)
    print(f"messages: {count} from {USERS} users")
    print(f"echo (bare PTB):           {echo_rate:8.1f} updates/s")
    print(f"bot /start (no limiter):   {bot_rate:8.1f} updates/s")
    print(f"ratio bot/echo:            {bot_rate / echo_rate:8.2f}")
    print(f"bot with rate limiter:     {limited_rate:8.1f} updates/s "
          f"({limited_count} messages; Telegram allows ~30/s)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
