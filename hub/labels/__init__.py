"""Printable artwork labels: title, artist, a QR code and an NFC record of the `/b/` link."""
