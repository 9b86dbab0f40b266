"""The guide's own words (menus, headings, errors) in each language it speaks.

The exhibition's texts come from the content bundle; these are the interface
around them. A language missing here falls back to English.
"""

from __future__ import annotations

from collections.abc import Mapping

# Each language's name, written in that language (for the language switch).
LANGUAGE_NAMES: Mapping[str, str] = {
    "fr": "Français",
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
}

STRINGS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "skip": "Skip to content",
        "guide": "Guide",
        "home": "All artworks",
        "info": "Practical information",
        "languages": "Language",
        "rooms": "Rooms",
        "other": "Elsewhere in the gallery",
        "works": "{n} artworks",
        "listen": "Listen to the audio description",
        "full_image": "Open the full-size image ({size})",
        "previous": "Previous",
        "next": "Next",
        "in_room": "In {room}",
        "hours": "Opening hours",
        "accessibility": "Accessibility",
        "address": "Address",
        "events": "Events",
        "map": "Map",
        "map_alt": "Floor plan of the gallery and its rooms",
        "themes": "Themes",
        "not_found_title": "Page not found",
        "not_found_text": "This page does not exist, or the artwork is no longer on show.",
        "back_home": "See all the artworks",
        "unavailable_title": "The guide is not available",
        "unavailable_text": "The guide will be back in a moment. Please try again shortly.",
        "privacy": "No tracking: this guide keeps no record of you. "
        "One cookie remembers the language you choose.",
        "credits": "Credits",
        "nav": "Guide menu",
        "pager": "Other artworks",
    },
    "fr": {
        "skip": "Aller au contenu",
        "guide": "Guide",
        "home": "Toutes les œuvres",
        "info": "Informations pratiques",
        "languages": "Langue",
        "rooms": "Salles",
        "other": "Ailleurs dans la galerie",
        "works": "{n} œuvres",
        "listen": "Écouter la description audio",
        "full_image": "Ouvrir l'image en grand ({size})",
        "previous": "Précédente",
        "next": "Suivante",
        "in_room": "Dans : {room}",
        "hours": "Horaires",
        "accessibility": "Accessibilité",
        "address": "Adresse",
        "events": "Agenda",
        "map": "Plan",
        "map_alt": "Plan de la galerie et de ses salles",
        "themes": "Thèmes",
        "not_found_title": "Page introuvable",
        "not_found_text": "Cette page n'existe pas, ou l'œuvre n'est plus exposée.",
        "back_home": "Voir toutes les œuvres",
        "unavailable_title": "Le guide n'est pas disponible",
        "unavailable_text": "Le guide revient dans un instant. Merci de réessayer bientôt.",
        "privacy": "Aucun pistage : ce guide ne garde aucune trace de vous. "
        "Un cookie retient seulement la langue choisie.",
        "credits": "Crédits",
        "nav": "Menu du guide",
        "pager": "Autres œuvres",
    },
    "de": {
        "skip": "Zum Inhalt springen",
        "guide": "Guide",
        "home": "Alle Werke",
        "info": "Praktische Informationen",
        "languages": "Sprache",
        "rooms": "Säle",
        "other": "Anderswo in der Galerie",
        "works": "{n} Werke",
        "listen": "Audiobeschreibung anhören",
        "full_image": "Bild in voller Größe öffnen ({size})",
        "previous": "Vorheriges",
        "next": "Nächstes",
        "in_room": "In: {room}",
        "hours": "Öffnungszeiten",
        "accessibility": "Barrierefreiheit",
        "address": "Adresse",
        "events": "Veranstaltungen",
        "map": "Plan",
        "map_alt": "Grundriss der Galerie mit ihren Sälen",
        "themes": "Themen",
        "not_found_title": "Seite nicht gefunden",
        "not_found_text": "Diese Seite gibt es nicht, oder das Werk ist nicht mehr ausgestellt.",
        "back_home": "Alle Werke ansehen",
        "unavailable_title": "Der Guide ist nicht verfügbar",
        "unavailable_text": "Der Guide ist gleich wieder da. Bitte versuchen Sie es bald erneut.",
        "privacy": "Kein Tracking: Dieser Guide speichert nichts über Sie. "
        "Ein Cookie merkt sich nur die gewählte Sprache.",
        "credits": "Nachweise",
        "nav": "Guide-Menü",
        "pager": "Weitere Werke",
    },
    "es": {
        "skip": "Ir al contenido",
        "guide": "Guía",
        "home": "Todas las obras",
        "info": "Información práctica",
        "languages": "Idioma",
        "rooms": "Salas",
        "other": "En otras partes de la galería",
        "works": "{n} obras",
        "listen": "Escuchar la audiodescripción",
        "full_image": "Abrir la imagen a tamaño completo ({size})",
        "previous": "Anterior",
        "next": "Siguiente",
        "in_room": "En: {room}",
        "hours": "Horario",
        "accessibility": "Accesibilidad",
        "address": "Dirección",
        "events": "Actividades",
        "map": "Plano",
        "map_alt": "Plano de la galería y sus salas",
        "themes": "Temas",
        "not_found_title": "Página no encontrada",
        "not_found_text": "Esta página no existe, o la obra ya no está expuesta.",
        "back_home": "Ver todas las obras",
        "unavailable_title": "La guía no está disponible",
        "unavailable_text": "La guía vuelve enseguida. Inténtelo de nuevo en un momento.",
        "privacy": "Sin rastreo: esta guía no guarda nada sobre usted. "
        "Una cookie solo recuerda el idioma elegido.",
        "credits": "Créditos",
        "nav": "Menú de la guía",
        "pager": "Otras obras",
    },
}


def strings_for(lang: str) -> Mapping[str, str]:
    """The interface texts in ``lang`` (English for a language the guide has no words for)."""
    return STRINGS.get(lang, STRINGS["en"])


def language_name(lang: str) -> str:
    """A language's own name, e.g. "Deutsch" for "de" (the code itself when unknown)."""
    return LANGUAGE_NAMES.get(lang, lang)
