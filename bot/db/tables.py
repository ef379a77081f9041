"""The relational schema, as SQLAlchemy Core tables.

Conventions: money is stored in integer hundredths of the deployment's currency
unit (fen, pence, cents; the `_fen` columns) so sums are exact on every backend;
timestamps are naive UTC; phone numbers are stored normalised to the 11-digit
mainland mobile form. The Alembic migrations in `migrations/` create exactly this
schema (an integration test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

stores = Table(
    "stores",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("city", String(32), nullable=False),
    Column("opened_on", Date),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("display_name", String(32), nullable=False),
    Column("role", String(16), nullable=False),
    Column("store_id", Integer, ForeignKey("stores.id")),
    Column("password_hash", String(128), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_no", String(16), nullable=False, unique=True),
    Column("name", String(32), nullable=False),
    Column("phone", String(11), unique=True),
    Column("gender", String(1), nullable=False, default="U"),
    Column("birthday", Date),
    Column("wechat_openid", String(64), unique=True),
    Column("home_store_id", Integer, ForeignKey("stores.id")),
    Column("joined_on", Date, nullable=False),
    Column("marketing_consent", Boolean, nullable=False, default=False),
    Column("service_consent", Boolean, nullable=False, server_default=true()),
    Column("consent_updated_at", DateTime),
    Column("created_at", DateTime, nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(32), nullable=False, unique=True),
    Column("name", String(128), nullable=False),
    Column("category", String(32), nullable=False, index=True),
    Column("subcategory", String(32), nullable=False),
    Column("brand", String(32), nullable=False),
    Column("color", String(16)),
    Column("price_fen", Integer, nullable=False),
    Column("price_tier", Integer, nullable=False, default=1),
    Column("launch_date", Date),
    Column("tags", String(128), nullable=False, default=""),
    Column("stock", Integer, nullable=False, default=0),
    Column("consumable", Boolean, nullable=False, default=False),
    Column("cycle_days", Integer),
)

orders = Table(
    "orders",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("order_no", String(32), nullable=False, unique=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("store_id", Integer, ForeignKey("stores.id")),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("ordered_at", DateTime, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("channel", String(16), nullable=False, default="store"),
    # Net of returns: what came back (refunds), and whether nothing was kept.
    Column("returned_fen", BigInteger, nullable=False, default=0, server_default="0"),
    Column(
        "fully_returned",
        Boolean,
        nullable=False,
        default=False,
        server_default=false(),
    ),
    Index("ix_orders_customer_ordered", "customer_id", "ordered_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column(
        "order_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("orders.id"),
        nullable=False,
    ),
    Column("line_no", Integer, nullable=False),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_fen", Integer, nullable=False),
    Column("discount_fen", Integer, nullable=False, default=0),
    Column("returned_quantity", Integer, nullable=False, default=0, server_default="0"),
    Column("returned_fen", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("order_id", "line_no", name="uq_order_lines_order_line"),
)

# A return or cancellation line as the export gave it, with the sale it was netted
# against (`order_id`; none when the sale is not in the data).
returns = Table(
    "returns",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("return_no", String(32), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("store_id", Integer, ForeignKey("stores.id")),
    Column("returned_at", DateTime, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("matched_quantity", Integer, nullable=False),
    Column(
        "order_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("orders.id"),
    ),
    UniqueConstraint("return_no", "line_no", name="uq_returns_return_line"),
    Index("ix_returns_customer", "customer_id", "returned_at"),
)

preferences = Table(
    "preferences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True
    ),
    Column("kind", String(16), nullable=False),
    Column("value", String(64), nullable=False),
    Column("note", Text),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("created_at", DateTime, nullable=False),
)

segment_snapshots = Table(
    "segment_snapshots",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("recency_days", Integer),
    Column("frequency", Integer, nullable=False),
    Column("monetary_fen", BigInteger, nullable=False),
    Column("r_score", Integer),
    Column("f_score", Integer),
    Column("m_score", Integer),
    Column("segment", String(32), nullable=False),
    Column("value_tier", String(16)),
    Column("lifecycle", String(16)),
    Column("clv_fen", BigInteger),
    Column("details", JSON),
    Column("strategy", String(32)),
    Column("expected_purchases", Float),
    Column("p_alive", Float),
    UniqueConstraint(
        "customer_id", "as_of", name="uq_segment_snapshots_customer_as_of"
    ),
    Index("ix_segment_snapshots_as_of_segment", "as_of", "segment"),
)

segment_runs = Table(
    "segment_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("as_of", Date, nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("buyers", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("params", JSON),
)

recommendation_log = Table(
    "recommendation_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column(
        "customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True
    ),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("shown_at", DateTime, nullable=False),
    Column("outcome", String(16)),
    Column("outcome_at", DateTime),
    Column("batch", String(32)),
    Column("rank", Integer),
    Column("source", String(24)),
    Column("segment", String(32)),
    Column("store_id", Integer, ForeignKey("stores.id")),
    Column("model_version", String(32)),
    Column("conversation_id", String(64)),
    Index("ix_recommendation_log_customer_shown", "customer_id", "shown_at"),
    Index(
        "ix_recommendation_log_customer_conversation",
        "customer_id",
        "conversation_id",
        "shown_at",
    ),
)

care_outbox = Table(
    "care_outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column(
        "customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True
    ),
    Column("trigger", String(32), nullable=False),
    Column("is_marketing", Boolean, nullable=False),
    Column("holdout", Boolean, nullable=False, default=False),
    Column("body", Text, nullable=False),
    Column("scheduled_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claimed_at", DateTime),
    Column("claim", String(32)),
    Column("sent_at", DateTime),
    Column("last_error", Text),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("created_at", DateTime, nullable=False),
    Column("fields", JSON),
    Column("route", String(24)),
    Column("route_reason", String(48)),
    Column("template_id", String(64)),
    Index("ix_care_outbox_status_scheduled", "status", "scheduled_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("actor", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), index=True),
    Column("channel", String(32), nullable=False),
    Column("detail", JSON),
)

verification_codes = Table(
    "verification_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("openid", String(64), nullable=False, index=True),
    Column("customer_id", Integer, ForeignKey("customers.id")),
    Column("phone", String(11), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used_at", DateTime),
)

inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("message_key", String(96), nullable=False),
    Column("openid", String(64), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), index=True),
    Column("kind", String(16), nullable=False),
    Column("received_at", DateTime, nullable=False),
    # how it was answered, for WeChat's retries that reach another server: the
    # passive reply's text, or none (`success`, a reply sent later by the API)
    Column("decided_at", DateTime),
    Column("reply", Text),
    UniqueConstraint("channel", "message_key"),
)

handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(128), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("openid", String(64)),
    Column("customer_id", Integer, ForeignKey("customers.id")),
    Column("store_id", Integer, ForeignKey("stores.id")),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("created_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
)

handoff_messages = Table(
    "handoff_messages",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column(
        "handoff_id", Integer, ForeignKey("handoffs.id"), nullable=False, index=True
    ),
    Column("author", String(16), nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("body", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("delivery", String(16), nullable=False, default="ok"),
    Column("error", Text),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("conversation", Integer, nullable=False, default=1),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

nlu_corrections = Table(
    "nlu_corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("event_id", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("predicted_intent", String(64)),
    Column("correct_intent", String(64), nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("sender_id", "event_id"),
)

wechat_windows = Table(
    "wechat_windows",
    metadata,
    Column("openid", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("opened_at", DateTime, nullable=False),
    Column("closes_at", DateTime, nullable=False),
    Column("quota", Integer, nullable=False),
    Column("used", Integer, nullable=False, default=0),
)

wechat_subscriptions = Table(
    "wechat_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("openid", String(64), nullable=False),
    Column("template_id", String(64), nullable=False),
    Column("granted_at", DateTime, nullable=False),
    Column("used_at", DateTime),
    Index("ix_wechat_subscriptions_openid_template", "openid", "template_id"),
)

shared_tokens = Table(
    "shared_tokens",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text),
    Column("expires_at", DateTime),
    Column("lease_owner", String(64)),
    Column("lease_until", DateTime),
)

# A clerk's marks on her worklist: what she did about a follow-up (sent, called,
# done) or until when she put it off (snoozed); the latest mark per item and clerk
# counts. `outbox_id` is empty for a "keep in touch" item (a lapsed customer).
worklist_marks = Table(
    "worklist_marks",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column(
        "outbox_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("care_outbox.id"),
    ),
    Column("action", String(16), nullable=False),
    Column("until", DateTime),
    Column("at", DateTime, nullable=False),
    Index("ix_worklist_marks_staff_customer", "staff_id", "customer_id"),
)

# One row per conversation (a tracker's sender id), kept current by the tracker store
# as the conversation happens, so the managers' list, filters, CSV and charts are
# indexed queries instead of a scan of the tracker's events. `store_id` is resolved
# when written (the clerk's store on the console, the customer's home store on
# WeChat), `segment` is the key of her segment then. `intents` holds the intents in
# order, each between spaces (" greet lookup_customer "), as listed. A read
# model derived from the tracker: no foreign keys, `reindex-conversations` rebuilds it.
conversation_summaries = Table(
    "conversation_summaries",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("last_at", DateTime, nullable=False),
    Column("user_turns", Integer, nullable=False),
    Column("intents", Text, nullable=False),
    Column("lowest_confidence", Float),
    Column("fallback", Boolean, nullable=False),
    Column("handoff", Boolean, nullable=False),
    Column("staff", String(64)),
    Column("staff_id", Integer),
    Column("staff_store_id", Integer),
    Column("store_id", Integer),
    Column("customer_id", Integer),
    Column("customer_ids", Text, nullable=False),
    Column("segment", String(32)),
    Index("ix_conversation_summaries_started_at", "started_at"),
    Index("ix_conversation_summaries_store_started", "store_id", "started_at"),
    Index("ix_conversation_summaries_last_at", "last_at"),
)

# The intents of each summarised conversation, one row each: the dashboard counts
# them with a GROUP BY and the list filters by one with an indexed lookup.
conversation_intents = Table(
    "conversation_intents",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("intent", String(128), primary_key=True),
    Index("ix_conversation_intents_intent", "intent"),
)

# Messages a clerk's tablet sent with its own id (a tablet that lost the network
# queues messages and sends them again when it is back): the first arrival is
# passed to the assistant, a repeat gets the stored answer. Only the answer is
# kept, not what she typed; purged with the conversation logs.
console_messages = Table(
    "console_messages",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("answer", JSON),
    UniqueConstraint("staff_id", "client_id"),
)

# Failed console logins per throttle bucket (a client address), shared by every
# console server; rows older than the throttle's window are dropped as new ones come.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("bucket", String(80), nullable=False),
    Column("failed_at", DateTime, nullable=False),
    Index("ix_login_failures_bucket_failed_at", "bucket", "failed_at"),
)

# Trained recommender models, so that every server on every machine serves the same
# version: the saved model file in parts (a few MiB each) with its checksum; the
# newest version is the largest (a UTC time).
recommender_models = Table(
    "recommender_models",
    metadata,
    Column("version", String(32), primary_key=True),
    Column("published_at", DateTime, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("meta", Text, nullable=False),
)

recommender_model_parts = Table(
    "recommender_model_parts",
    metadata,
    Column(
        "version",
        String(32),
        ForeignKey("recommender_models.version", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("part", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
