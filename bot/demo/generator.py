"""Fill an empty database with a demo retailer: stores, staff, customers, orders.

Deterministic for a given seed and as-of date. Customers are generated in chunks and
bulk-inserted, so 1,000,000 customers fit in memory and show progress as they go.
Customer 1 (phone 13800000000, member M00000001) is a loyal high spender and customer 2
(13800000001, M00000002) a regular, in every demo database.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from faker.providers.person.zh_CN import Provider as ZhNames
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from tqdm import tqdm

from bot.db import tables as t
from bot.db.bulk import insert_rows, product_row, reset_sequences
from bot.demo.personas import PERSONAS, Persona, assign_personas
from bot.knowledge import Knowledge
from bot.knowledge.schema import Product
from bot.security.passwords import hash_password
from bot.timeutil import local_to_utc

DEMO_PASSWORD = "demo1234"
NEW_ARRIVAL_DAYS = 30
# How strongly the promotion hunters and new-arrival lovers follow their habit.
HABIT = 0.85
WINDOW_DAYS = 730
STORES = (
    ("S01", "上海静安店", "上海"),
    ("S02", "上海徐汇店", "上海"),
    ("S03", "北京三里屯店", "北京"),
    ("S04", "北京国贸店", "北京"),
    ("S05", "杭州湖滨店", "杭州"),
    ("S06", "南京新街口店", "南京"),
    ("S07", "成都太古里店", "成都"),
    ("S08", "深圳万象城店", "深圳"),
    ("S09", "广州天河店", "广州"),
    ("S10", "武汉江汉路店", "武汉"),
    ("S11", "苏州观前店", "苏州"),
    ("S12", "西安小寨店", "西安"),
)
CLERKS_PER_STORE = 4
GUARANTEED = (("王晓梅", "F", "13800000000"), ("李娜", "F", "13800000001"))
PHONE_PREFIXES = (
    "130 131 132 133 134 135 136 137 139 150 151 152 153 155 156 157 158 159 "
    "166 176 177 178 180 181 182 183 184 185 186 187 188 189 198 199"
).split()


class DatabaseNotEmpty(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoConfig:
    customers: int = 2000
    seed: int = 42
    as_of: dt.date = field(default_factory=dt.date.today)
    chunk: int = 20000
    activity: float = 1.0
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))


@dataclass(frozen=True)
class DemoSummary:
    stores: int
    staff: int
    customers: int
    orders: int
    order_lines: int
    seconds: float


def generate(
    engine: Engine, knowledge: Knowledge, config: DemoConfig, progress: bool = True
) -> DemoSummary:
    """Write the demo retailer into an empty, migrated database in one transaction."""
    started = time.perf_counter()
    catalog = _Catalog(knowledge)
    counts = {"orders": 0, "lines": 0}
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(t.customers)).scalar_one():
            raise DatabaseNotEmpty("the database already has customers")
        product_ids = _insert_products(conn, knowledge.catalog)
        clerks = _insert_stores_and_staff(conn)
        maker = _CustomerMaker(config, catalog, product_ids, clerks, knowledge)
        personas = assign_personas(config.customers, config.seed)
        bar = tqdm(total=config.customers, unit="customers", disable=not progress)
        for start in range(0, config.customers, config.chunk):
            stop = min(start + config.chunk, config.customers)
            rows = maker.chunk(start, stop, personas[start:stop])
            insert_rows(conn, t.customers, rows.customers)
            insert_rows(conn, t.orders, rows.orders)
            insert_rows(conn, t.order_lines, rows.lines)
            counts["orders"] += len(rows.orders)
            counts["lines"] += len(rows.lines)
            bar.update(stop - start)
        bar.close()
        reset_sequences(
            conn, (t.stores, t.staff, t.products, t.customers, t.orders, t.order_lines)
        )
    return DemoSummary(
        stores=len(STORES),
        staff=sum(len(ids) for ids in clerks.values()) + len(STORES) + 1,
        customers=config.customers,
        orders=counts["orders"],
        order_lines=counts["lines"],
        seconds=time.perf_counter() - started,
    )


def _insert_products(conn, catalog: Sequence[Product]) -> list[int]:
    rows = [product_row(index, p) for index, p in enumerate(catalog, start=1)]
    insert_rows(conn, t.products, rows)
    return [row["id"] for row in rows]


def _insert_stores_and_staff(conn) -> dict[int, list[int]]:
    """Stores, 4 clerks and a manager each, and one head-office manager."""
    password_hash = hash_password(DEMO_PASSWORD)
    now = dt.datetime(2024, 1, 1)
    names = _staff_names(len(STORES) * (CLERKS_PER_STORE + 1))
    store_rows, staff_rows, clerks = [], [], {}
    for store_id, (code, name, city) in enumerate(STORES, start=1):
        store_rows.append({"id": store_id, "code": code, "name": name, "city": city})
        clerks[store_id] = []
        for n in range(1, CLERKS_PER_STORE + 2):
            role = "manager" if n > CLERKS_PER_STORE else "clerk"
            username = (
                f"{code.lower()}m" if role == "manager" else f"{code.lower()}c{n}"
            )
            staff_id = len(staff_rows) + 1
            staff_rows.append(
                _staff(
                    staff_id,
                    username,
                    names[staff_id - 1],
                    role,
                    store_id,
                    password_hash,
                    now,
                )
            )
            if role == "clerk":
                clerks[store_id].append(staff_id)
    staff_rows.append(
        _staff(
            len(staff_rows) + 1,
            "hq",
            "总部运营",
            "head_office",
            None,
            password_hash,
            now,
        )
    )
    insert_rows(conn, t.stores, store_rows)
    insert_rows(conn, t.staff, staff_rows)
    return clerks


def _staff_names(count: int) -> list[str]:
    """Distinct, realistic names for the demo staff (customers read them)."""
    rnd = random.Random(2024)
    family = list(ZhNames.last_names)[:40]
    given = list(ZhNames.first_names_female) + list(ZhNames.first_names_male)
    names: list[str] = []
    while len(names) < count:
        name = rnd.choice(family) + rnd.choice(given)
        if name not in names:
            names.append(name)
    return names


def _staff(staff_id, username, display, role, store_id, password_hash, now) -> dict:
    return {
        "id": staff_id,
        "username": username,
        "display_name": display,
        "role": role,
        "store_id": store_id,
        "password_hash": password_hash,
        "active": True,
        "created_at": now,
    }


class _Catalog:
    """Products indexed for fast picks: by subcategory and by launch date."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.products = list(knowledge.catalog)
        self.launch = [
            (p.launch_date or dt.date.min).toordinal() for p in self.products
        ]
        order = sorted(range(len(self.products)), key=lambda i: self.launch[i])
        self.by_launch = order
        self.by_launch_days = [self.launch[i] for i in order]
        self.subcats: dict[str, list[int]] = {}
        for i in order:
            self.subcats.setdefault(self.products[i].subcategory, []).append(i)
        self.subcat_names = sorted(self.subcats)
        self.subcat_weights = [len(self.subcats[name]) for name in self.subcat_names]
        self.promo = [i for i in order if "promo" in self.products[i].tags]
        self.complements = knowledge.complements.complements

    def launched(self, indices: list[int], day: int) -> list[int]:
        cut = bisect.bisect_right([self.launch[i] for i in indices], day)
        return indices[:cut] or indices

    def new_arrivals(self, day: int, within: int = NEW_ARRIVAL_DAYS) -> list[int]:
        lo = bisect.bisect_left(self.by_launch_days, day - within)
        hi = bisect.bisect_right(self.by_launch_days, day)
        return self.by_launch[lo:hi]


@dataclass
class _Rows:
    customers: list[dict]
    orders: list[dict]
    lines: list[dict]


class _CustomerMaker:
    def __init__(
        self, config, catalog: _Catalog, product_ids, clerks, knowledge
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.product_ids = product_ids
        self.clerks = clerks
        self.store_ids = sorted(clerks)
        self.family = list(ZhNames.last_names)
        self.family_weights = list(ZhNames.last_names.values())
        self.order_id = 0
        self.line_id = 0

    def chunk(self, start: int, stop: int, personas) -> _Rows:
        rnd = random.Random(self.config.seed * 1_000_003 + start)
        rows = _Rows([], [], [])
        for offset, persona_index in enumerate(personas):
            customer_id = start + offset + 1
            persona = PERSONAS[int(persona_index)]
            customer = self._customer(rnd, customer_id, persona)
            rows.customers.append(customer)
            self._orders(rnd, customer, persona, rows)
        return rows

    def _customer(self, rnd: random.Random, customer_id: int, persona: Persona) -> dict:
        as_of = self.config.as_of
        joined = as_of - dt.timedelta(days=rnd.randint(*persona.joined_days))
        if customer_id <= len(GUARANTEED):
            name, gender, phone = GUARANTEED[customer_id - 1]
        else:
            gender = "F" if rnd.random() < 0.7 else "M"
            name = self._name(rnd, gender)
            phone = self._phone(customer_id)
        consent = customer_id <= len(GUARANTEED) or rnd.random() < 0.65
        birthday = (
            None
            if rnd.random() < 0.1
            else as_of - dt.timedelta(days=rnd.randint(18 * 365, 65 * 365))
        )
        return {
            "id": customer_id,
            "member_no": f"M{customer_id:08d}",
            "name": name,
            "phone": phone,
            "gender": gender,
            "birthday": birthday,
            "wechat_openid": self._openid(customer_id) if rnd.random() < 0.6 else None,
            "home_store_id": 1
            if customer_id <= len(GUARANTEED)
            else rnd.choice(self.store_ids),
            "joined_on": joined,
            "marketing_consent": consent,
            "consent_updated_at": dt.datetime.combine(joined, dt.time(12))
            if consent
            else None,
            "created_at": dt.datetime.combine(joined, dt.time(12)),
        }

    def _name(self, rnd: random.Random, gender: str) -> str:
        family = rnd.choices(self.family, weights=self.family_weights)[0]
        given = (
            ZhNames.first_names_female if gender == "F" else ZhNames.first_names_male
        )
        return family + rnd.choice(given)

    def _phone(self, customer_id: int) -> str:
        """Unique per id: the 8-digit tail is a bijection of the id mod 10^8."""
        prefix = PHONE_PREFIXES[customer_id % len(PHONE_PREFIXES)]
        tail = (customer_id * 48271 + self.config.seed * 7919) % 100_000_000
        return f"{prefix}{tail:08d}"

    def _openid(self, customer_id: int) -> str:
        digest = hashlib.sha256(
            f"{self.config.seed}:{customer_id}".encode()
        ).hexdigest()
        return "o" + digest[:27]

    def _orders(
        self, rnd: random.Random, customer: dict, persona: Persona, rows: _Rows
    ) -> None:
        for day in self._order_days(rnd, customer["joined_on"], persona):
            self._order(rnd, customer, persona, day, rows)

    def _order_days(
        self, rnd: random.Random, joined: dt.date, persona: Persona
    ) -> list[int]:
        as_of = self.config.as_of.toordinal()
        first = max(joined.toordinal(), as_of - WINDOW_DAYS)
        last = max(first, as_of - rnd.randint(*persona.last_order_days))
        if persona.orders_per_year:
            years = (last - first) / 365
            count = _poisson(
                rnd, persona.orders_per_year * years * self.config.activity
            )
        else:
            count = rnd.randint(persona.min_orders, persona.max_orders)
        ceiling = max(
            persona.min_orders, round(persona.max_orders * self.config.activity)
        )
        count = min(max(count, persona.min_orders), ceiling)
        return sorted([last] + [rnd.randint(first, last) for _ in range(count - 1)])

    def _order(
        self, rnd, customer: dict, persona: Persona, day: int, rows: _Rows
    ) -> None:
        self.order_id += 1
        order_id = self.order_id
        home = customer["home_store_id"]
        store = home if rnd.random() < 0.85 else rnd.choice(self.store_ids)
        in_store = rnd.random() < 0.85
        picks = self._basket(
            rnd, persona, day, 1 + min(_poisson(rnd, persona.extra_lines), 4)
        )
        total = 0
        for line_no, index in enumerate(picks, start=1):
            product = self.catalog.products[index]
            quantity = 2 if product.consumable and rnd.random() < 0.3 else 1
            discount = (
                round(product.price_fen * quantity * persona.promo_discount)
                if "promo" in product.tags
                else 0
            )
            self.line_id += 1
            rows.lines.append(
                {
                    "id": self.line_id,
                    "order_id": order_id,
                    "line_no": line_no,
                    "product_id": self.product_ids[index],
                    "quantity": quantity,
                    "unit_price_fen": product.price_fen,
                    "discount_fen": discount,
                }
            )
            total += product.price_fen * quantity - discount
        local = dt.datetime.fromordinal(day) + dt.timedelta(
            minutes=rnd.randint(600, 1319)
        )
        rows.orders.append(
            {
                "id": order_id,
                "order_no": f"SO{self.config.seed % 100:02d}{order_id:010d}",
                "customer_id": customer["id"],
                "store_id": store,
                "staff_id": rnd.choice(self.clerks[store]) if in_store else None,
                "ordered_at": local_to_utc(local, self.config.tz),
                "total_fen": total,
                "channel": "store" if in_store else "wechat",
            }
        )

    def _basket(self, rnd, persona: Persona, day: int, size: int) -> list[int]:
        first = self._first_pick(rnd, persona, day)
        basket = [first]
        for _ in range(size - 1):
            subcat = self.catalog.products[basket[0]].subcategory
            friends = self.catalog.complements.get(subcat, ())
            if friends and rnd.random() < 0.6:
                pick = self._in_subcat(rnd, persona, rnd.choice(friends), day)
            else:
                pick = self._first_pick(rnd, persona, day)
            if pick not in basket:
                basket.append(pick)
        return basket

    def _first_pick(self, rnd, persona: Persona, day: int) -> int:
        if persona.pick == "new" and rnd.random() < HABIT:
            fresh = self.catalog.new_arrivals(day)
            if fresh:
                return rnd.choice(fresh)
        if persona.pick == "promo" and rnd.random() < HABIT:
            return rnd.choice(self.catalog.launched(self.catalog.promo, day))
        subcat = rnd.choices(
            self.catalog.subcat_names, weights=self.catalog.subcat_weights
        )[0]
        return self._in_subcat(rnd, persona, subcat, day)

    def _in_subcat(self, rnd, persona: Persona, subcat: str, day: int) -> int:
        options = self.catalog.launched(self.catalog.subcats[subcat], day)
        products = self.catalog.products
        if persona.pick == "premium" and rnd.random() < 0.75:
            top = max(products[i].price_tier for i in options)
            options = [i for i in options if products[i].price_tier == top]
        elif persona.pick == "promo" and rnd.random() < HABIT:
            options = [i for i in options if "promo" in products[i].tags] or options
        elif persona.pick == "new" and rnd.random() < HABIT:
            fresh = day - NEW_ARRIVAL_DAYS
            options = [i for i in options if self.catalog.launch[i] >= fresh] or options
        return rnd.choice(options)


def _poisson(rnd: random.Random, lam: float) -> int:
    """Knuth's method; fine for the small means used here."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rnd.gauss(lam, lam**0.5)))
    limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= rnd.random()
        if p <= limit:
            return k
        k += 1
