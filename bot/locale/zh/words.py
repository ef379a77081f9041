"""Words people use that the catalogue does not spell out."""

# Colours a customer may like or dislike even when no product has them today.
BASIC_COLOURS = (
    "黄色",
    "红色",
    "粉色",
    "紫色",
    "绿色",
    "蓝色",
    "橙色",
    "灰色",
    "白色",
    "黑色",
    "咖啡色",
    "荧光色",
)
# Ways of saying "patterned" -> the catalogue's colour value.
PATTERN_SYNONYMS = {"花哨": "印花", "太花": "印花", "花里胡哨": "印花", "花色": "印花"}
