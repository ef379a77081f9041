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
