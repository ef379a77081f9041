"""What each intent is called when the assistant asks which one was meant.

Clerks talk about the customer in front of them ("她"); customers about themselves.
Intents without a label (greetings, choices, codes) are never offered.
"""

CLERK = {
    "lookup_customer": "查一位顾客",
    "ask_segment": "看她是哪类客户、为什么",
    "ask_preferences": "看她喜欢什么",
    "ask_history": "看她的购买记录",
    "ask_strategy": "看这类客户怎么维护",
    "ask_membership": "看她的会员等级",
    "ask_birthday": "看她的生日",
    "recommend_products": "给她推荐商品",
    "recommend_cross_sell": "推荐搭配",
    "recommend_upsell": "推荐升级款",
    "ask_why_recommended": "看推荐的理由",
    "record_purchase": "记录她买了推荐的商品",
    "deny": "记录她不要刚才推荐的商品",
    "note_preference": "记下她的偏好",
    "ask_followups": "看要跟进的事",
    "schedule_care": "安排一条提醒",
    "ask_care_tips": "看保养方法",
    "ask_new_arrivals": "看新品",
    "ask_promotions": "看促销",
    "unsubscribe": "为她退订消息",
    "resubscribe": "记录她重新同意接收消息",
}
CUSTOMER = {
    "ask_membership": "查我的会员等级",
    "recommend_products": "给我推荐商品",
    "deny": "以后少推荐刚才这几款",
    "ask_why_recommended": "看推荐的理由",
    "ask_care_tips": "看保养方法",
    "ask_new_arrivals": "看新品",
    "ask_promotions": "看优惠活动",
    "ask_history": "看我的购买记录",
    "unsubscribe": "退订消息",
    "resubscribe": "重新接收消息",
    "human_handoff": "转人工客服",
}
NEITHER = "都不是"
# Names of the intents that are never offered, for reports.
OTHER = {
    "greet": "问候",
    "goodbye": "告别",
    "thank": "感谢",
    "affirm": "肯定",
    "bot_challenge": "问是不是机器人",
    "out_of_scope": "超出范围",
    "verify_code": "验证码",
    "send_media": "发图片语音",
    "choose_option": "选择选项",
    "human_handoff": "转人工",
    "nlu_fallback": "没听懂",
}

CHANNELS = {"console": "店员工作台", "wechat": "微信", "rest": "接口"}


def intent_label(name: str | None) -> str:
    """An intent as managers read it (what a clerk would ask for), else its name."""
    if not name:
        return "-"
    return CLERK.get(name) or CUSTOMER.get(name) or OTHER.get(name) or name


def channel_label(name: str | None) -> str:
    return CHANNELS.get(name or "", name or "-")
