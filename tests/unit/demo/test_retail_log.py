from bot.demo.retail_log import LogShape, write_online_retail
from bot.recommend.retail_log import read_online_retail


def test_the_synthetic_log_is_as_messy_as_a_real_one(tmp_path, knowledge):
    path = tmp_path / "log.csv"
    rows = write_online_retail(path, LogShape(customers=200, items=300), seed=1)
    log = read_online_retail(path, knowledge.imports)
    assert log.rows_read == rows
    for reason in (
        "cancelled invoice",
        "no customer id",
        "not merchandise",
        "price not positive",
    ):
        assert log.dropped[reason] > 0, reason
    assert 0.5 < len(log.items) / rows < 0.95


def test_the_same_seed_writes_the_same_log(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_online_retail(first, LogShape(customers=50, items=80), seed=4)
    write_online_retail(second, LogShape(customers=50, items=80), seed=4)
    assert first.read_bytes() == second.read_bytes()
