import numpy as np

from bot.segments.preferences import LineAggregates, profiles


def lines(rows):
    columns = list(zip(*rows, strict=True))
    category_labels, category_codes = np.unique(columns[1], return_inverse=True)
    brand_labels, brand_codes = np.unique(columns[2], return_inverse=True)
    return LineAggregates(
        customers=np.array(columns[0]),
        category_codes=category_codes,
        category_labels=category_labels,
        brand_codes=brand_codes,
        brand_labels=brand_labels,
        spend=np.array(columns[3], float),
        weighted=np.array(columns[4], float),
        promo=np.array(columns[5], float),
        fresh=np.array(columns[6], float),
        quantity=np.array(columns[7], float),
        gross=np.array(columns[8], float),
    )


def test_favourites_follow_recency_weighted_spend_not_raw_spend():
    data = lines(
        [
            (1, "服装", "云裳", 1000, 100, 0, 0, 1, 1000),
            (1, "护肤", "蔓生", 300, 300, 300, 300, 3, 300),
            (2, "箱包", "锦囊", 500, 500, 0, 500, 1, 500),
        ]
    )
    found = profiles(data, top=2)
    assert [name for name, _ in found.top_categories.row(0)] == ["护肤", "服装"]
    assert found.top_categories.row(0)[0][1] == 0.75
    assert found.top_brands.row(1) == [("锦囊", 1.0)]
    assert list(found.breadth) == [2, 1]


def test_shares_and_flags_at_their_thresholds(knowledge):
    data = lines(
        [
            (1, "服装", "云裳", 100, 100, 50, 0, 1, 100),
            (2, "服装", "云裳", 100, 100, 49, 40, 2, 300),
        ]
    )
    found = profiles(data, top=3)
    seekers, lovers = found.flags(knowledge.segments.preferences)
    assert list(seekers) == [True, False]
    assert list(lovers) == [False, True]
    assert list(found.average_price) == [100.0, 150.0]


def test_the_sorted_path_for_many_labels_agrees_with_the_dense_one(monkeypatch):
    import bot.segments.preferences as preferences

    data = lines(
        [
            (1, "服装", "云裳", 1000, 100, 0, 0, 1, 1000),
            (1, "护肤", "蔓生", 300, 300, 300, 300, 3, 300),
            (1, "箱包", "锦囊", 50, 50, 0, 0, 1, 50),
            (2, "箱包", "锦囊", 500, 500, 0, 500, 1, 500),
        ]
    )
    dense = profiles(data, top=2)
    monkeypatch.setattr(preferences, "DENSE_CELLS", 0)
    sparse = profiles(data, top=2)
    for i in range(2):
        assert sparse.top_categories.row(i) == dense.top_categories.row(i)
        assert sparse.top_brands.row(i) == dense.top_brands.row(i)
    assert list(sparse.breadth) == list(dense.breadth) == [3, 1]
