"""The Cimaise kiosk: a Kivy touchscreen app for a gallery room."""
