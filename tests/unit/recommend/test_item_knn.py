import pytest

from bot.recommend.item_knn import ItemKNNRecommender


def fitted(neighbours=50):
    # coat buyers also buy scarves; serum buyers also buy cream
    customers = [1, 1, 2, 2, 3, 3, 4, 4, 5]
    items = [
        "coat",
        "scarf",
        "coat",
        "scarf",
        "serum",
        "cream",
        "serum",
        "cream",
        "coat",
    ]
    return ItemKNNRecommender(neighbours).fit(customers, items)


def test_a_coat_buyer_is_offered_the_scarf_not_the_cream():
    recommend = fitted().recommend({5: {"coat"}})
    assert recommend(5, 3) == ["scarf"]


def test_the_similarity_is_cosine_over_buyers():
    model = fitted()
    coat, scarf = model.index_["coat"], model.index_["scarf"]
    # coat: customers 1, 2, 5; scarf: 1, 2 -> 2 / sqrt(3 * 2)
    assert model.similarity_[coat, scarf] == pytest.approx(2 / 6**0.5)
    assert model.similarity_[coat, model.index_["cream"]] == 0


def test_owned_items_and_unknown_customers_get_nothing_back():
    recommend = fitted().recommend({1: {"coat", "scarf"}})
    assert recommend(1, 5) == []
    assert recommend(99, 5) == []


def test_neighbours_are_pruned_to_the_most_similar():
    model = ItemKNNRecommender(neighbours=1).fit(
        [1, 1, 1, 2, 2], ["a", "b", "c", "a", "b"]
    )
    assert model.similarity_[model.index_["a"]].nnz == 1
    assert model.recommend({3: {"a"}})(3, 5) == ["b"]
