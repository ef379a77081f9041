"""Typed text as the NLU should see it: how people really type on a phone or tablet.

Emoji and WeChat's sticker codes ("[微笑]") carry no request and only confuse the
classifier; full-width letters and digits ("Ｍ０００１", "１２月") read as
their ASCII twins (Unicode NFKC); runs of punctuation ("！！！", "。。。") count
once.
"""

from __future__ import annotations

import re
import unicodedata

import emoji

STICKER = re.compile(r"\[[\u4e00-\u9fff]{1,4}\]")
REPEATED_PUNCTUATION = re.compile(r"([!?,.~、。;:…])\1+")
SPACES = re.compile(r"\s+")
QUESTION = re.compile(
    r"什么|啥|哪|吗|多少|多大|几[码号岁个次]|怎么|怎样|如何|是否|有没有|是不是|呢|\?$"
)


def normalize(text: str) -> str:
    """`text` without emoji and stickers, in NFKC, punctuation runs collapsed."""
    text = emoji.replace_emoji(text, replace=" ")
    text = STICKER.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    text = REPEATED_PUNCTUATION.sub(r"\1", text)
    return SPACES.sub(" ", text).strip()


def normalize_in_place(text: str) -> str:
    """Full-width characters to their ASCII twins, character by character, so every
    position stays where it was (for examples whose entity offsets must not move)."""
    return "".join(_one(ch) for ch in text)


def _one(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def is_question(text: str) -> bool:
    """Does `text` ask something ("她穿多大码", "她喜欢什么颜色?")?"""
    return bool(QUESTION.search(text))


def is_plain_refusal(text: str) -> bool:
    """Is `text` only a refusal ("不感兴趣", "这几款她都不要"), with no reason or
    attribute in it ("她不爱带拉链的")?"""
    from bot.locale.zh.words import REFUSAL_WORDS

    rest = re.sub(r"[\s,.!?;:~、。…]", "", normalize(text))
    for word in sorted(REFUSAL_WORDS, key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest == ""
