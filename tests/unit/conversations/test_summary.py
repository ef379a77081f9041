"""Conversation summaries and transcripts from Rasa tracker events."""

from bot.conversations.summary import fold, summarize, transcript
from bot.customers.masking import mask_text


def user(n, text, intent, confidence, channel="console", metadata=None):
    return {
        "id": n,
        "event": "user",
        "timestamp": 1000.0 + n,
        "text": text,
        "input_channel": channel,
        "parse_data": {"intent": {"name": intent, "confidence": confidence}},
        "metadata": metadata or {},
    }


def action(n, name):
    return {"id": n, "event": "action", "timestamp": 1000.0 + n, "name": name}


def bot(n, text):
    return {"id": n, "event": "bot", "timestamp": 1000.0 + n, "text": text}


STAFF = {"staff": {"username": "s01c1", "id": 3, "store_id": 1}}
EVENTS = [
    action(1, "action_session_start"),
    user(2, "帮我查一下13800000000", "lookup_customer", 0.99, metadata=STAFF),
    action(3, "action_lookup_customer"),
    {"id": 4, "event": "slot", "name": "customer_id", "value": "1"},
    bot(5, "【顾客卡片】王**"),
    action(6, "action_listen"),
    user(7, "今天下雨吗", "nlu_fallback", 0.31, metadata=STAFF),
    action(8, "utter_default"),
    bot(9, "抱歉，我没太明白。"),
]


def test_a_summary_knows_clerk_store_customer_and_trouble():
    s = summarize("console:s01c1:1:1", EVENTS)
    assert (s.channel, s.staff, s.store_id, s.customer_ids) == (
        "console",
        "s01c1",
        1,
        (1,),
    )
    assert s.user_turns == 2 and s.intents == ("lookup_customer", "nlu_fallback")
    assert s.lowest_confidence == 0.31 and s.fallback and not s.handoff


def test_no_user_message_is_no_conversation():
    assert summarize("x", [action(1, "action_session_start")]) is None


def test_wechat_conversations_know_the_openid_and_handoffs():
    events = [user(1, "转人工", "human_handoff", 0.9, channel="wechat")]
    events.append(action(2, "action_human_handoff"))
    s = summarize("wx:oAbc123456", events)
    assert s.openid == "oAbc123456" and s.handoff and s.staff is None


def test_the_transcript_puts_actions_on_the_turn_that_caused_them():
    turns = transcript(EVENTS)
    assert [t.author for t in turns] == ["clerk", "bot", "clerk", "bot"]
    assert turns[0].actions == ("action_lookup_customer",)
    assert turns[2].actions == ("utter_default",)
    assert (turns[2].intent, turns[2].confidence) == ("nlu_fallback", 0.31)


def test_free_text_is_masked_for_managers():
    text = "帮我查一下13800000000，王晓梅说验证码是482913，+86 139 1234 5678"
    masked = mask_text(text, ["王晓梅"])
    assert masked == "帮我查一下138****0000，王**说验证码是******，139****5678"


def test_a_tapped_choice_reads_as_what_was_tapped_not_its_payload():
    events = [
        user(1, '/choose_option{"choice":"3"}', "choose_option", 1.0),
        user(2, "/choose_option", "choose_option", 1.0),
        user(3, "/choose_option{broken", "choose_option", 1.0),
        user(4, "她喜欢什么", "ask_preferences", 0.9),
    ]
    assert [t.text for t in transcript(events)] == [
        "（点了第3个选项）",
        "（点了一个选项）",
        "（点了一个选项）",
        "她喜欢什么",
    ]


def test_folding_a_conversation_piece_by_piece_equals_summarising_it_whole():
    whole = summarize("console:s01c1:1:1", EVENTS)
    for cut in range(1, len(EVENTS)):
        first = summarize("console:s01c1:1:1", EVENTS[:cut])
        assert fold(first, "console:s01c1:1:1", EVENTS[cut:]) == whole, cut


def test_a_later_clerk_and_channel_win_and_earlier_trouble_is_kept():
    first = summarize("console:s01c1:1:1", EVENTS)
    later = [
        user(
            20,
            "好的",
            "affirm",
            0.95,
            metadata={"staff": {"username": "s01c2", "id": 4, "store_id": 1}},
        )
    ]
    s = fold(first, "console:s01c1:1:1", later)
    assert (s.staff, s.staff_id, s.user_turns) == ("s01c2", 4, 3)
    assert s.fallback and s.lowest_confidence == 0.31 and s.started == first.started
    assert s.intents == ("lookup_customer", "nlu_fallback", "affirm")
