"""Widgets of the kiosk that hold behaviour: the zoomable image, the artwork card, the QR."""

from __future__ import annotations

import io
from typing import Any

from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.graphics.transformation import Matrix
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.scatter import Scatter
from kivy.uix.stencilview import StencilView

from kiosk.theme import CALM

ZOOM_NOTED_AT = 1.15  # a scale above this counts as "the visitor zoomed"
ZOOM_SOURCE_AT = 1.4  # above this, the sharper "zoom" image replaces the "screen" one
MAX_SCALE = 6.0


class PaletteColors:
    """The palette's colours as Kivy properties of an app, for its .kv rules (``app.bg``).

    A mixin, like Kivy's behaviours: ``class KioskApp(PaletteColors, App)``. The kiosk
    and the phone guide share it, so both start in the calm palette.
    """

    bg = ColorProperty(CALM["bg"])
    bar = ColorProperty(CALM["bar"])
    card = ColorProperty(CALM["card"])
    fg = ColorProperty(CALM["fg"])
    muted = ColorProperty(CALM["muted"])
    accent = ColorProperty(CALM["accent"])
    line = ColorProperty(CALM["line"])


class ZoomView(StencilView):  # type: ignore[misc]
    """An image that pinches to zoom and drags to pan, never leaving a gap at its edges.

    Shows ``source`` (the screen-sized image). Once the visitor zooms in, the large
    ``zoom_source`` is decoded on Kivy's loader threads and laid over it when ready, so
    a pinch never stalls on decoding a 4096-pixel image. Fires ``on_zoomed`` once per
    image view.
    """

    source = StringProperty("")
    zoom_source = StringProperty("")
    shown_source = StringProperty("")  # the file whose pixels are on screen now
    loading = BooleanProperty(False)  # the large image is being decoded
    scale = NumericProperty(1.0)
    zoomed = BooleanProperty(False)
    scatter = ObjectProperty(None)

    __events__ = ("on_zoomed",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scatter = Scatter(
            do_rotation=False,
            scale_min=1.0,
            scale_max=MAX_SCALE,
            auto_bring_to_front=False,
        )
        self.image = Image(fit_mode="contain")
        self.sharp = Image(fit_mode="contain", opacity=0)
        self.scatter.add_widget(self.image)
        self.scatter.add_widget(self.sharp)
        self._proxy: Any = None
        self.add_widget(self.scatter)
        self.scatter.bind(on_transform_with_touch=self._on_transform)
        self.bind(pos=self._reset_later, size=self._reset_later, source=self._on_source)
        self._clamping = False

    def on_zoomed(self, *args: Any) -> None:
        """Default handler of the ``on_zoomed`` event."""

    def _on_source(self, *args: Any) -> None:
        self.image.source = self.source
        self.zoomed = False
        self.reset()

    def _reset_later(self, *args: Any) -> None:
        Clock.schedule_once(lambda dt: self.reset(), 0)

    def reset(self) -> None:
        """Back to the whole image, fitted in the view."""
        self.scatter.transform = Matrix()
        self.scatter.size = self.size
        self.scatter.pos = self.pos
        self.image.size = self.size
        self.image.pos = (0, 0)
        self.scale = 1.0
        self.zoomed = False
        if self.image.source != self.source:
            self.image.source = self.source
        self.sharp.size = self.size
        self.sharp.pos = (0, 0)
        self.sharp.opacity = 0
        self.sharp.texture = None
        self._proxy = None
        self.loading = False
        self.shown_source = self.source

    def zoom_at(self, factor: float, anchor: tuple[float, float]) -> None:
        """Zoom by ``factor`` around a point of the window (double tap, tests)."""
        new_scale = max(1.0, min(MAX_SCALE, self.scatter.scale * factor))
        factor = new_scale / self.scatter.scale
        self.scatter.apply_transform(Matrix().scale(factor, factor, factor), anchor=anchor)
        self._on_transform()

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        if touch.is_double_tap:
            if self.scatter.scale > 1.05:
                self.reset()
            else:
                self.zoom_at(2.5, touch.pos)
            return True
        return bool(super().on_touch_down(touch))

    def _on_transform(self, *args: Any) -> None:
        if self._clamping:
            return
        self._clamping = True
        try:
            self._clamp()
        finally:
            self._clamping = False
        self.scale = self.scatter.scale
        if self.scale >= ZOOM_SOURCE_AT and self.zoom_source and self._proxy is None:
            self._load_sharp()
        if self.scale >= ZOOM_NOTED_AT and not self.zoomed:
            self.zoomed = True
            self.dispatch("on_zoomed")

    def _load_sharp(self) -> None:
        from kivy.loader import Loader

        self.loading = True
        proxy = Loader.image(self.zoom_source)
        self._proxy = proxy
        if proxy.loaded:
            self._show_sharp(proxy)
        else:
            proxy.bind(on_load=self._show_sharp)

    def _show_sharp(self, proxy: Any, *args: Any) -> None:
        if proxy is not self._proxy:  # the visitor moved on meanwhile
            return
        self.sharp.texture = proxy.image.texture
        self.sharp.opacity = 1
        self.loading = False
        self.shown_source = self.zoom_source

    def _clamp(self) -> None:
        """Keep the zoomed image covering the view: no panning it out of sight."""
        scatter = self.scatter
        if scatter.scale <= 1.0:
            scatter.transform = Matrix()
            scatter.pos = self.pos
            return
        (x, y), (w, h) = scatter.bbox
        nx = min(self.x, max(self.right - w, x))
        ny = min(self.y, max(self.top - h, y))
        if (nx, ny) != (x, y):
            scatter.pos = (nx, ny)


class ArtworkCard(ButtonBehavior, BoxLayout):  # type: ignore[misc]
    """A tappable thumbnail with title and artist, on the home screen."""

    artwork_id = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    thumb = StringProperty("")


class QrCode(Image):  # type: ignore[misc]
    """A QR code of ``url``, drawn by segno and shown pixel-sharp; nothing when ``url`` is ''."""

    url = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fit_mode="contain", **kwargs)
        self._made_for = ""
        self.bind(url=self._on_url)

    def _on_url(self, *args: Any) -> None:
        if self.url == self._made_for:
            return
        self._made_for = self.url
        if not self.url:
            self.texture = None
            return
        # imported here: the phone app reuses these widgets without the QR (nor segno)
        from kiosk.qr import qr_png

        texture = CoreImage(io.BytesIO(qr_png(self.url)), ext="png").texture
        texture.mag_filter = "nearest"  # modules stay crisp squares when scaled up
        texture.min_filter = "nearest"
        self.texture = texture
