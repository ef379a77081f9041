"""Action and slot names shared by the actions, domain.yml and the tests."""

LOOKUP_CUSTOMER = "action_lookup_customer"
CUSTOMER_SEGMENT = "action_customer_segment"
CUSTOMER_PREFERENCES = "action_customer_preferences"
CUSTOMER_HISTORY = "action_customer_history"
CUSTOMER_STRATEGY = "action_customer_strategy"

CUSTOMER_SLOT = "customer_id"
IDENTIFIER_ENTITIES = ("phone", "member_no")

RECOMMEND_PRODUCTS = "action_recommend_products"
RECOMMEND_CROSS_SELL = "action_recommend_cross_sell"
RECOMMEND_UPSELL = "action_recommend_upsell"
EXPLAIN_RECOMMENDATIONS = "action_explain_recommendations"
RECORD_PURCHASE = "action_record_purchase"
HANDLE_DENY = "action_handle_deny"
RECOMMEND_ACTIONS = (RECOMMEND_PRODUCTS, RECOMMEND_CROSS_SELL, RECOMMEND_UPSELL)
ITEM_ENTITIES = ("product", "category", "brand")
NAMED_ENTITIES = ("product", "category", "brand", "color")
NOTE_PREFERENCE = "action_note_preference"
NOTE_ENTITIES = ("color", "size", "category", "brand", "product")
ASK_FOLLOWUPS = "action_ask_followups"
SCHEDULE_CARE = "action_schedule_care"
ASK_CARE_TIPS = "action_ask_care_tips"
UNSUBSCRIBE = "action_unsubscribe"
ASK_MEMBERSHIP = "action_ask_membership"
ASK_NEW_ARRIVALS = "action_ask_new_arrivals"
ASK_PROMOTIONS = "action_ask_promotions"
HUMAN_HANDOFF = "action_human_handoff"
VERIFY_CODE = "action_verify_code"
CODE_ENTITY = "code"

ASK_BIRTHDAY = "action_ask_birthday"
RESUBSCRIBE = "action_resubscribe"
OFFER_INTENTS = "action_offer_intents"
CHOOSE_OPTION = "action_choose_option"
CHOOSE_INTENT = "choose_option"
CHOICE_ENTITY = "choice"
CHOICES_SLOT = "pending_choices"
PENDING_SLOT = "pending_request"

# The action each intent leads to (data/rules.yml has one rule per intent).
INTENT_ACTIONS = {
    "lookup_customer": LOOKUP_CUSTOMER,
    "ask_segment": CUSTOMER_SEGMENT,
    "ask_preferences": CUSTOMER_PREFERENCES,
    "ask_history": CUSTOMER_HISTORY,
    "ask_strategy": CUSTOMER_STRATEGY,
    "ask_membership": ASK_MEMBERSHIP,
    "ask_birthday": ASK_BIRTHDAY,
    "recommend_products": RECOMMEND_PRODUCTS,
    "recommend_cross_sell": RECOMMEND_CROSS_SELL,
    "recommend_upsell": RECOMMEND_UPSELL,
    "ask_why_recommended": EXPLAIN_RECOMMENDATIONS,
    "record_purchase": RECORD_PURCHASE,
    "deny": HANDLE_DENY,
    "note_preference": NOTE_PREFERENCE,
    "ask_followups": ASK_FOLLOWUPS,
    "schedule_care": SCHEDULE_CARE,
    "ask_care_tips": ASK_CARE_TIPS,
    "ask_new_arrivals": ASK_NEW_ARRIVALS,
    "ask_promotions": ASK_PROMOTIONS,
    "unsubscribe": UNSUBSCRIBE,
    "resubscribe": RESUBSCRIBE,
    "human_handoff": HUMAN_HANDOFF,
}
