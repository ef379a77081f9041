import pytest

from bot.demo.generator import generate
from tests.conftest import demo_config


@pytest.fixture()
def shop(db, knowledge):
    """A migrated database with the demo stores and catalog (and 5 demo customers)."""
    generate(db[1], knowledge, demo_config(customers=5), progress=False)
    return db[1]
