"""The kiosk's own words (buttons, headings) in the languages museums use most.

Exhibition texts come from the content; these are the few words around them. A
language missing here falls back to English, word by word.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

LANGUAGE_NAMES: Final[dict[str, str]] = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pt": "Português",
    "ca": "Català",
    "eu": "Euskara",
    "br": "Brezhoneg",
}

_WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "still_there": "Still there? Touch the screen to continue",
        "touch": "Touch the screen to start",
        "rooms": "Rooms",
        "themes": "Themes",
        "search": "Search",
        "search_hint": "Type a title, an artist, a year…",
        "no_results": "Nothing found. Try another word.",
        "info": "Visit",
        "back": "Back",
        "home": "Home",
        "listen": "Listen",
        "pause": "Pause",
        "hours": "Opening hours",
        "access": "Accessibility",
        "events": "Events",
        "address": "Address",
        "large_text": "Larger text",
        "contrast": "High contrast",
        "pinch": "Pinch to zoom, drag to explore",
        "take_home": "Continue on your phone",
        "other_rooms": "Elsewhere",
        "artworks": "artworks",
    },
    "fr": {
        "still_there": "Toujours là ? Touchez l'écran pour continuer",
        "touch": "Touchez l'écran pour commencer",
        "rooms": "Salles",
        "themes": "Thèmes",
        "search": "Rechercher",
        "search_hint": "Un titre, un artiste, une année…",
        "no_results": "Aucun résultat. Essayez un autre mot.",
        "info": "Visite",
        "back": "Retour",
        "home": "Accueil",
        "listen": "Écouter",
        "pause": "Pause",
        "hours": "Horaires",
        "access": "Accessibilité",
        "events": "Agenda",
        "address": "Adresse",
        "large_text": "Texte agrandi",
        "contrast": "Contraste élevé",
        "pinch": "Pincez pour zoomer, glissez pour explorer",
        "take_home": "Continuez sur votre téléphone",
        "other_rooms": "Ailleurs",
        "artworks": "œuvres",
    },
    "de": {
        "still_there": "Noch da? Berühren Sie den Bildschirm",
        "touch": "Berühren Sie den Bildschirm",
        "rooms": "Räume",
        "themes": "Themen",
        "search": "Suchen",
        "search_hint": "Titel, Künstler, Jahr…",
        "no_results": "Nichts gefunden. Versuchen Sie ein anderes Wort.",
        "info": "Besuch",
        "back": "Zurück",
        "home": "Start",
        "listen": "Anhören",
        "pause": "Pause",
        "hours": "Öffnungszeiten",
        "access": "Barrierefreiheit",
        "events": "Veranstaltungen",
        "address": "Adresse",
        "large_text": "Größere Schrift",
        "contrast": "Hoher Kontrast",
        "pinch": "Zum Zoomen aufziehen, zum Erkunden ziehen",
        "take_home": "Auf dem Handy weiterlesen",
        "other_rooms": "Weitere",
        "artworks": "Werke",
    },
    "es": {
        "still_there": "¿Sigue ahí? Toque la pantalla para continuar",
        "touch": "Toque la pantalla para empezar",
        "rooms": "Salas",
        "themes": "Temas",
        "search": "Buscar",
        "search_hint": "Un título, un artista, un año…",
        "no_results": "Sin resultados. Pruebe otra palabra.",
        "info": "Visita",
        "back": "Volver",
        "home": "Inicio",
        "listen": "Escuchar",
        "pause": "Pausa",
        "hours": "Horario",
        "access": "Accesibilidad",
        "events": "Actividades",
        "address": "Dirección",
        "large_text": "Texto grande",
        "contrast": "Alto contraste",
        "pinch": "Pellizque para ampliar, deslice para explorar",
        "take_home": "Siga leyendo en su móvil",
        "other_rooms": "Otros",
        "artworks": "obras",
    },
    "it": {
        "still_there": "Ancora qui? Tocca lo schermo per continuare",
        "touch": "Tocca lo schermo per iniziare",
        "rooms": "Sale",
        "themes": "Temi",
        "search": "Cerca",
        "search_hint": "Un titolo, un artista, un anno…",
        "no_results": "Nessun risultato. Prova un'altra parola.",
        "info": "Visita",
        "back": "Indietro",
        "home": "Inizio",
        "listen": "Ascolta",
        "pause": "Pausa",
        "hours": "Orari",
        "access": "Accessibilità",
        "events": "Eventi",
        "address": "Indirizzo",
        "large_text": "Testo grande",
        "contrast": "Alto contrasto",
        "pinch": "Pizzica per ingrandire, trascina per esplorare",
        "take_home": "Continua sul tuo telefono",
        "other_rooms": "Altro",
        "artworks": "opere",
    },
    "nl": {
        "still_there": "Nog daar? Raak het scherm aan om verder te gaan",
        "touch": "Raak het scherm aan om te beginnen",
        "rooms": "Zalen",
        "themes": "Thema's",
        "search": "Zoeken",
        "search_hint": "Een titel, een kunstenaar, een jaar…",
        "no_results": "Niets gevonden. Probeer een ander woord.",
        "info": "Bezoek",
        "back": "Terug",
        "home": "Start",
        "listen": "Luisteren",
        "pause": "Pauze",
        "hours": "Openingstijden",
        "access": "Toegankelijkheid",
        "events": "Activiteiten",
        "address": "Adres",
        "large_text": "Grotere tekst",
        "contrast": "Hoog contrast",
        "pinch": "Knijp om te zoomen, sleep om te verkennen",
        "take_home": "Lees verder op je telefoon",
        "other_rooms": "Overig",
        "artworks": "werken",
    },
}

# The technician screen is for staff: English only, plain.
TECHNICIAN: Final[dict[str, str]] = {
    "title": "This kiosk needs pairing",
    "help": (
        "Make a pairing code for a kiosk on the hub's web page (Devices) or with "
        "'cimaise hub pair --kind kiosk --name NAME', then type it here. "
        "A long press in the top-left corner brings this screen back."
    ),
    "pair": "Pair",
    "done": "Back to visitors",
    "pairing": "Pairing…",
    "paired": "Paired. Loading the exhibition…",
}


def lookup(words: Mapping[str, Mapping[str, str]], language: str, key: str) -> str:
    """A word from a table by language, in English when missing (the phone's too)."""
    return words.get(language, {}).get(key) or words["en"][key]


def word(language: str, key: str) -> str:
    """One of the kiosk's own words in ``language`` (English when missing)."""
    return lookup(_WORDS, language, key)


def language_name(code: str) -> str:
    """A language in its own words ('Français'), or its code in capitals."""
    return LANGUAGE_NAMES.get(code, code.upper())
