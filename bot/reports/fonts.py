"""Chinese labels on matplotlib charts: the CJK font `make browser` installs."""

from __future__ import annotations

CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "DejaVu Sans"]


def use_cjk_font(plt) -> None:
    """Prefer an installed CJK font (matplotlib falls back per glyph otherwise)."""
    _register_cjk_fonts()
    plt.rcParams["font.sans-serif"] = CJK_FONTS
    plt.rcParams["axes.unicode_minus"] = False


def _register_cjk_fonts() -> None:
    """Make fonts installed after matplotlib built its font cache known to it
    (`make browser` installs the CJK font on a machine that may have a cache)."""
    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        lowered = path.lower()
        if path not in known and ("wqy" in lowered or "cjk" in lowered):
            font_manager.fontManager.addfont(path)
