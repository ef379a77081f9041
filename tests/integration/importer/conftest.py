import pytest

from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.demo.generator import generate
from tests.conftest import demo_config


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def shop(request, knowledge):
    """A migrated database with the demo stores and catalog (and 5 demo customers),
    on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        engine = request.getfixturevalue("db")[1]
    else:
        url = request.getfixturevalue("pg_url")
        upgrade(url)
        engine = make_engine(url)
    generate(engine, knowledge, demo_config(customers=5), progress=False)
    yield engine
    if request.param != "sqlite":
        engine.dispose()
