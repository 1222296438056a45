"""Message catalogs (gettext domain `bot`): locales/<lang>/LC_MESSAGES/bot.po."""
