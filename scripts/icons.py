"""The app icons of the web client (docs/web.md, Installable), drawn from the same shapes as
static/icon.svg: a green tile with a white ring and a dot (a circle of people).

    .venv/bin/python scripts/icons.py

Writes src/quanzi/web/static/icons/: icon-180.png (apple-touch-icon: square, iOS rounds it),
icon-192.png and icon-512.png (rounded tiles for the manifest's "any" purpose) and
icon-maskable-512.png (full bleed, the mark inside the central 80% safe zone, so any mask a
launcher cuts leaves it whole). Drawn four times larger and scaled down for smooth edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "src/quanzi/web/static/icons"
GREEN = (7, 193, 96, 255)  # static/icon.svg's #07c160
WHITE = (255, 255, 255, 255)
SUPERSAMPLE = 4


def draw(size: int, *, rounded: bool, mark: float) -> Image.Image:
    """A tile of `size` pixels; the ring's outer diameter is `mark` of the tile."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(big * 14 / 64), fill=GREEN)
    else:
        pen.rectangle((0, 0, big - 1, big - 1), fill=GREEN)
    centre = big / 2
    outer = big * mark / 2  # icon.svg: r=17 and stroke 6 of 64, so the ring spans 40/64
    stroke = outer * 6 / 20
    pen.ellipse(
        (centre - outer, centre - outer, centre + outer, centre + outer),
        outline=WHITE,
        width=round(stroke),
    )
    dot = outer * 5 / 20
    pen.ellipse((centre - dot, centre - dot, centre + dot, centre + dot), fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icons = {
        "icon-180.png": draw(180, rounded=False, mark=40 / 64),
        "icon-192.png": draw(192, rounded=True, mark=40 / 64),
        "icon-512.png": draw(512, rounded=True, mark=40 / 64),
        # the safe zone of a maskable icon is a circle of 80% of its width: the ring takes 50%
        "icon-maskable-512.png": draw(512, rounded=False, mark=0.5),
    }
    for name, image in icons.items():
        opaque = "maskable" in name or name == "icon-180.png"
        (image.convert("RGB") if opaque else image).save(OUT / name, optimize=True)
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
