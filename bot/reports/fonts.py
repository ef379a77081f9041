"""Chinese labels on matplotlib charts: the CJK font `make browser` installs."""

from __future__ import annotations

CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC")


def use_cjk_font(plt) -> None:
    """Prefer an installed CJK font (matplotlib falls back per glyph otherwise)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    chosen = [name for name in CJK_FONTS if name in installed]
    plt.rcParams["font.sans-serif"] = [*chosen, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
