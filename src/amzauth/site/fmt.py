"""Locale-aware words and numbers for the blocks: prices, dates and star labels through Babel.

The marketplace decides the locale (www.amazon.de -> de_DE), so a German page shows "49,99 €"
and "4,4 von 5 Sternen". Babel does every number, currency and date; the few fixed phrases a
block prints are in :data:`MESSAGES` per language (English when a language is missing).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Final

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

__all__ = ["MESSAGES", "Formatter", "locale_for"]

LOCALES: Final[dict[str, str]] = {
    "www.amazon.com": "en_US",
    "www.amazon.ca": "en_CA",
    "www.amazon.com.mx": "es_MX",
    "www.amazon.com.br": "pt_BR",
    "www.amazon.co.uk": "en_GB",
    "www.amazon.de": "de_DE",
    "www.amazon.fr": "fr_FR",
    "www.amazon.it": "it_IT",
    "www.amazon.es": "es_ES",
    "www.amazon.nl": "nl_NL",
    "www.amazon.se": "sv_SE",
    "www.amazon.pl": "pl_PL",
    "www.amazon.com.be": "fr_BE",
    "www.amazon.com.tr": "tr_TR",
    "www.amazon.ae": "en_AE",
    "www.amazon.sa": "ar_SA",
    "www.amazon.eg": "ar_EG",
    "www.amazon.in": "en_IN",
    "www.amazon.co.jp": "ja_JP",
    "www.amazon.sg": "en_SG",
    "www.amazon.com.au": "en_AU",
}

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "buy": "Buy on Amazon",
        "as_of": "Price as of {time}",
        "stars": "{rating} out of 5 stars",
        "ratings": "{count} ratings",
        "save": "Save {amount} ({percent})",
        "prime": "Prime",
        "more": "See more on Amazon",
        "view": "View on Amazon",
        "no_results": "No products found.",
        "no_results_for": "Amazon found no products for “{q}”. Try other words or another category.",
        "busy": "Amazon is busy right now: please try again shortly.",
        "pending": "Amazon is slow to answer right now: reload this page in a moment to see the results.",
        "failed": "Amazon could not answer this search; the link below searches Amazon directly.",
        "results_for": "Results for “{q}”",
        "search": "Search",
        "keywords": "Keywords",
        "category": "Category",
        "any_category": "All categories",
        "sort": "Sort",
        "relevance": "Relevance",
        "result_pages": "Result pages",
        "search_amazon": "Search Amazon",
        "categories": "Categories",
        "subcategories": "Subcategories",
        "too_many": "You are sending requests faster than this site answers them: please wait a few seconds and try again.",
        "disclosure": "As an Amazon Associate I earn from qualifying purchases.",
        "IN_STOCK": "In stock",
        "OUT_OF_STOCK": "Currently unavailable",
        "PREORDER": "Pre-order",
        "BACKORDER": "Temporarily out of stock",
        "price": "Price",
        "rating": "Rating",
        "review_count": "Ratings",
        "savings": "Savings",
        "availability": "Availability",
        "brand": "Brand",
        "best": "Best",
    },
    "de": {
        "buy": "Bei Amazon kaufen",
        "as_of": "Preis vom {time}",
        "stars": "{rating} von 5 Sternen",
        "ratings": "{count} Bewertungen",
        "save": "Sie sparen {amount} ({percent})",
        "more": "Mehr bei Amazon",
        "view": "Bei Amazon ansehen",
        "no_results": "Keine Produkte gefunden.",
        "no_results_for": "Amazon hat für „{q}“ keine Produkte gefunden. Versuchen Sie andere Wörter oder eine andere Kategorie.",
        "busy": "Amazon ist gerade ausgelastet: Bitte versuchen Sie es gleich noch einmal.",
        "results_for": "Ergebnisse für „{q}“",
        "search": "Suchen",
        "keywords": "Suchbegriffe",
        "category": "Kategorie",
        "any_category": "Alle Kategorien",
        "sort": "Sortierung",
        "relevance": "Relevanz",
        "result_pages": "Ergebnisseiten",
        "search_amazon": "Bei Amazon suchen",
        "categories": "Kategorien",
        "subcategories": "Unterkategorien",
        "disclosure": "Als Amazon-Partner verdiene ich an qualifizierten Verkäufen.",
        "IN_STOCK": "Auf Lager",
        "OUT_OF_STOCK": "Derzeit nicht verfügbar",
        "PREORDER": "Vorbestellbar",
        "BACKORDER": "Vorübergehend nicht auf Lager",
        "price": "Preis",
        "rating": "Bewertung",
        "review_count": "Bewertungen",
        "savings": "Ersparnis",
        "availability": "Verfügbarkeit",
        "brand": "Marke",
        "best": "Bester",
    },
    "fr": {
        "buy": "Acheter sur Amazon",
        "as_of": "Prix au {time}",
        "stars": "{rating} sur 5 étoiles",
        "ratings": "{count} évaluations",
        "more": "Voir plus sur Amazon",
        "view": "Voir sur Amazon",
        "disclosure": "En tant que Partenaire Amazon, je réalise un bénéfice sur les achats remplissant les conditions requises.",
        "IN_STOCK": "En stock",
        "price": "Prix",
    },
    "es": {
        "buy": "Comprar en Amazon",
        "as_of": "Precio a {time}",
        "stars": "{rating} de 5 estrellas",
        "ratings": "{count} valoraciones",
        "view": "Ver en Amazon",
        "disclosure": "Como Afiliado de Amazon, obtengo ingresos por las compras adscritas que cumplen los requisitos aplicables.",
        "IN_STOCK": "En stock",
        "price": "Precio",
    },
    "it": {
        "buy": "Acquista su Amazon",
        "as_of": "Prezzo al {time}",
        "stars": "{rating} su 5 stelle",
        "ratings": "{count} voti",
        "view": "Vedi su Amazon",
        "disclosure": "In qualità di Affiliato Amazon io ricevo un guadagno dagli acquisti idonei.",
        "IN_STOCK": "Disponibile",
        "price": "Prezzo",
    },
    "ja": {
        "buy": "Amazonで購入",
        "as_of": "{time}時点の価格",
        "stars": "5つ星のうち{rating}",
        "ratings": "{count}個の評価",
        "save": "{amount} OFF ({percent})",
        "more": "Amazonでもっと見る",
        "view": "Amazonで見る",
        "no_results": "商品が見つかりませんでした。",
        "disclosure": "Amazonのアソシエイトとして、当サイトは適格販売により収入を得ています。",
        "IN_STOCK": "在庫あり",
        "OUT_OF_STOCK": "現在在庫切れです",
        "price": "価格",
        "rating": "評価",
        "review_count": "評価数",
        "savings": "割引",
        "availability": "在庫状況",
        "brand": "ブランド",
        "best": "ベスト",
    },
}


def locale_for(marketplace: str | None, override: str | None = None) -> str:
    """The Babel locale id for a marketplace host (en_US when unknown)."""
    if override:
        return str(Locale.parse(override))
    return LOCALES.get(marketplace or "", "en_US")


class Formatter:
    """Everything a template prints that depends on the locale (one per locale, cached)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        lang = locale.split("_")[0]
        self._words = {**MESSAGES["en"], **MESSAGES.get(lang, {})}

    @staticmethod
    @lru_cache(maxsize=64)
    def for_locale(locale: str) -> Formatter:
        return Formatter(locale)

    def text(self, key: str, **values: str) -> str:
        words = self._words.get(key, key)
        return words.format(**values) if values else words

    @lru_cache(maxsize=4096)  # noqa: B019  (one Formatter per locale lives for the process anyway)
    def price(self, amount: float, currency: str) -> str:
        return str(format_currency(amount, currency, locale=self.locale))

    def as_of(self, ts: float) -> str:
        when = datetime.fromtimestamp(ts, UTC)
        return self.text(
            "as_of", time=str(format_datetime(when, "medium", tzinfo=UTC, locale=self.locale)) + " UTC"
        )

    @lru_cache(maxsize=256)  # noqa: B019
    def stars(self, rating: float) -> str:
        return self.text("stars", rating=str(format_decimal(rating, "0.0", locale=self.locale)))

    def count(self, n: int) -> str:
        return self.text("ratings", count=str(format_decimal(n, locale=self.locale)))

    def number(self, n: float) -> str:
        return str(format_decimal(n, locale=self.locale))

    def percent(self, fraction: float) -> str:
        return str(format_percent(fraction, locale=self.locale))

    def savings(self, amount: float | None, currency: str | None, percent: float | None) -> str | None:
        if amount is None or not currency:
            return None
        pct = self.percent((percent or 0) / 100.0)
        return self.text("save", amount=self.price(amount, currency), percent=pct)
