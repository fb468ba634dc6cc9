"""Draw the app icon (a magnifier over a page) as PNG, ICO and ICNS into resources/icons/app/.

Run once after changing the design: `python resources/packaging/make_icons.py`. Needs Pillow (a dev-time tool; the
generated files are committed, so builds do not need it).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "icons" / "app"
SIZE = 1024
BACKGROUND = (38, 70, 83, 255)
PAGE = (244, 241, 234, 255)
LINES = (160, 170, 175, 255)
ACCENT = (233, 196, 106, 255)


def draw(size: int = SIZE) -> Image.Image:
    """The icon at `size` px, drawn at 4x and downsampled for smooth edges."""
    s = size * 4
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    u = s / 64  # design grid: 64 units
    d.rounded_rectangle([2 * u, 2 * u, 62 * u, 62 * u], radius=12 * u, fill=BACKGROUND)
    d.rounded_rectangle([13 * u, 9 * u, 43 * u, 50 * u], radius=3 * u, fill=PAGE)
    for i in range(5):
        y = (16 + 6 * i) * u
        d.rounded_rectangle([18 * u, y, (38 if i % 2 else 34) * u, y + 2 * u], radius=u, fill=LINES)
    cx, cy, r = 36 * u, 35 * u, 11 * u
    d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=ACCENT, width=int(4 * u))
    d.line([cx + 8 * u, cy + 8 * u, 53 * u, 52 * u], fill=ACCENT, width=int(6 * u))
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    big = draw(SIZE)
    big.resize((256, 256), Image.LANCZOS).save(OUT / "tansaku.png")
    big.save(OUT / "tansaku.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    big.save(OUT / "tansaku.icns")
    print(f"icons written to {OUT}")


if __name__ == "__main__":
    main()
