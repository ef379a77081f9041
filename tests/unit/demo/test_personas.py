import numpy as np

from bot.demo.personas import PERSONAS, assign_personas


def test_assignment_is_deterministic_in_the_seed():
    assert np.array_equal(assign_personas(500, 3), assign_personas(500, 3))
    assert not np.array_equal(assign_personas(500, 3), assign_personas(500, 4))


def test_the_two_guaranteed_customers_are_a_loyal_high_spender_and_a_regular():
    assigned = assign_personas(10, 1)
    assert PERSONAS[assigned[0]].key == "loyal_high"
    assert PERSONAS[assigned[1]].key == "regular"


def test_shares_are_close_to_the_persona_mix():
    assigned = assign_personas(50_000, 11)
    for index, persona in enumerate(PERSONAS):
        assert abs((assigned == index).mean() - persona.share) < 0.01
