"""The Cimaise phone guide: a Kivy app that shows the artwork nearest the visitor."""
