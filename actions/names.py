"""Action and slot names shared by the actions, domain.yml and the tests."""

LOOKUP_CUSTOMER = "action_lookup_customer"
CUSTOMER_SEGMENT = "action_customer_segment"
CUSTOMER_PREFERENCES = "action_customer_preferences"
CUSTOMER_HISTORY = "action_customer_history"
CUSTOMER_STRATEGY = "action_customer_strategy"

CUSTOMER_SLOT = "customer_id"
IDENTIFIER_ENTITIES = ("phone", "member_no")
