"""The guide's own words (buttons, headings, the privacy note) in a few languages.

Exhibition texts come from the pack; a word missing in a language falls back to English.
"""

from __future__ import annotations

from typing import Final

# Language names and the fallback to English are the kiosk's.
from kiosk.strings import LANGUAGE_NAMES as LANGUAGE_NAMES
from kiosk.strings import language_name as language_name
from kiosk.strings import lookup

_WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "welcome": "Welcome",
        "privacy": (
            "This guide shows the artwork you are standing next to, using the museum's "
            "Bluetooth beacons.\n\n"
            "It sends nothing about you. Your phone listens to the beacons; it does not "
            'tell anyone where you are. Android calls this permission "location" because '
            "beacons could reveal a place: here, that place stays on your phone.\n\n"
            "Everything works without the internet once the guide is downloaded."
        ),
        "share": "Help the museum: share anonymous use of this guide",
        "share_detail": (
            "Off unless you turn it on. If on, the guide sends the museum which screens and "
            "artworks are opened, under a random number that is forgotten when you close "
            "the app, only while on the museum Wi-Fi (otherwise nothing is kept). Never "
            "the beacons, never where you walked, nothing that names you."
        ),
        "start": "Start the visit",
        "near": "Near you",
        "also_near": "Also close by",
        "nothing_near": "No artwork close by. Walk up to one, or browse the collection.",
        "browse": "Browse",
        "search_hint": "Search a title, an artist, a year…",
        "info": "Visit",
        "settings": "Settings",
        "language": "Language",
        "text_size": "Text size",
        "listen": "Listen",
        "pause": "Pause",
        "back": "Back",
        "hours": "Opening hours",
        "accessibility": "Accessibility",
        "events": "Events",
        "offline": "Offline: using the guide saved on this phone.",
        "no_pack": "The guide has not been downloaded yet. Join the museum Wi-Fi.",
        "results": "{n} artworks",
        "sharing": "Sharing anonymous use",
        "hub_address": "Guide address",
        "hub_hint": "The link of the QR code at the entrance",
        "connect": "Download the guide",
        "connecting": "Downloading the guide…",
        "bad_address": "This is not a web address.",
    },
    "fr": {
        "welcome": "Bienvenue",
        "privacy": (
            "Ce guide montre l'œuvre devant laquelle vous êtes, grâce aux balises "
            "Bluetooth du musée.\n\n"
            "Il n'envoie rien sur vous. Votre téléphone écoute les balises ; il ne dit à "
            "personne où vous êtes. Android appelle cette autorisation « position » car des "
            "balises pourraient révéler un lieu : ici, ce lieu reste sur votre téléphone.\n\n"
            "Tout fonctionne sans internet une fois le guide téléchargé."
        ),
        "share": "Aider le musée : partager l'usage anonyme du guide",
        "share_detail": (
            "Désactivé sauf si vous l'activez. Activé, le guide envoie au musée les écrans "
            "et les œuvres ouverts, sous un numéro au hasard oublié à la fermeture de "
            "l'application, seulement sur le Wi-Fi du musée (sinon rien n'est gardé). "
            "Jamais les balises, jamais votre parcours, rien qui vous nomme."
        ),
        "start": "Commencer la visite",
        "near": "Près de vous",
        "also_near": "Tout près aussi",
        "nothing_near": (
            "Aucune œuvre à proximité. Approchez-vous d'une œuvre, ou parcourez la collection."
        ),
        "browse": "Parcourir",
        "search_hint": "Chercher un titre, un artiste, une année…",
        "info": "Visite",
        "settings": "Réglages",
        "language": "Langue",
        "text_size": "Taille du texte",
        "listen": "Écouter",
        "pause": "Pause",
        "back": "Retour",
        "hours": "Horaires",
        "accessibility": "Accessibilité",
        "events": "Événements",
        "offline": "Hors ligne : guide enregistré sur ce téléphone.",
        "no_pack": "Le guide n'est pas encore téléchargé. Connectez-vous au Wi-Fi du musée.",
        "results": "{n} œuvres",
        "sharing": "Partage anonyme activé",
        "hub_address": "Adresse du guide",
        "hub_hint": "Le lien du QR code de l'entrée",
        "connect": "Télécharger le guide",
        "connecting": "Téléchargement du guide…",
        "bad_address": "Ce n'est pas une adresse web.",
    },
}


def word(language: str, key: str) -> str:
    """A word of the guide in ``language`` (English when missing)."""
    return lookup(_WORDS, language, key)
