"""Message catalogs (gettext domain `bot`) and Vietnamese dates and numbers.

Catalogs are the `.po` files under `locales/<lang>/LC_MESSAGES/`; they are compiled in memory
at start-up, so no `.mo` file is ever committed or built by the install step.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from importlib.abc import Traversable
from zoneinfo import ZoneInfo

from babel.messages import mofile, pofile
from babel.numbers import format_decimal, format_percent

DOMAIN = "bot"
SUPPORTED_LOCALES = ("vi", "en")
DATE_FORMAT = "%d/%m/%Y"


def N_(message: str) -> str:  # noqa: N802 - gettext convention
    """Mark a string for extraction without translating it (translated later by its user)."""
    return message


def locales_root() -> Traversable:
    """The `locales/` folder, whether installed or run from the source tree."""
    return resources.files("locales")


def _compile(po_file: Traversable, locale: str) -> gettext.GNUTranslations:
    """Read a .po file and compile it in memory into a translations object."""
    with po_file.open("rb") as handle:
        catalog = pofile.read_po(handle, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    mofile.write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Translator:
    """Translations and formatting for one locale; what handlers use to render replies."""

    locale: str
    translations: gettext.NullTranslations
    tz: ZoneInfo

    def gettext(self, message: str, /, **values: object) -> str:
        """Translate `message` and fill its `{placeholders}`."""
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """Translate with plural forms; `{count}` is always available."""
        text = self.translations.ngettext(singular, plural, count)
        return text.format(count=self.number(count), **values)

    def date(self, value: date | datetime) -> str:
        """A date as dd/mm/yyyy; datetimes are first moved to the configured zone."""
        if isinstance(value, datetime):
            value = self.local(value)
        return value.strftime(DATE_FORMAT)

    def datetime(self, value: datetime) -> str:
        """A moment as `HH:MM dd/mm/yyyy` in the configured zone."""
        return self.local(value).strftime("%H:%M " + DATE_FORMAT)

    def local(self, value: datetime) -> datetime:
        """Move an aware datetime to the configured zone (naive means UTC)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo("UTC"))
        return value.astimezone(self.tz)

    def number(self, value: float, digits: int = 1) -> str:
        """A number the local way: 1.234,5 in Vietnamese."""
        pattern = "#,##0" + ("." + "#" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, ratio: float, digits: int = 1) -> str:
        """A ratio as a percentage: 0.3666 → 36,7%."""
        pattern = "#,##0" + ("." + "#" * digits if digits else "") + "%"
        return format_percent(ratio, format=pattern, locale=self.locale)


class I18n:
    """All catalogs, loaded once; hands out a `Translator` per locale."""

    def __init__(self, default_locale: str = "vi", tz: ZoneInfo | None = None,
                 root: Traversable | None = None) -> None:
        self.default_locale = default_locale
        self.tz = tz or ZoneInfo("Asia/Ho_Chi_Minh")
        root = root or locales_root()
        self._translations: dict[str, gettext.NullTranslations] = {}
        for locale in SUPPORTED_LOCALES:
            po_file = root / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
            if po_file.is_file():
                self._translations[locale] = _compile(po_file, locale)
        if default_locale not in self._translations:
            raise FileNotFoundError(f"no catalog for the default locale {default_locale!r}")

    def translator(self, locale: str | None = None) -> Translator:
        """The translator for `locale`, or for the default locale when unknown."""
        chosen = locale if locale in self._translations else self.default_locale
        return Translator(chosen, self._translations[chosen], self.tz)
