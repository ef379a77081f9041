"""What the channels keep of a message's metadata (it is stored in the tracker)."""

from bot.channels.console import console_metadata


def test_the_console_keeps_its_staff_member_only():
    sent = {
        "staff": {"username": "s01c1", "id": 7, "store_id": 1, "role": "admin"},
        "blob": "x" * 10_000,
    }
    assert console_metadata(sent) == {
        "staff": {"username": "s01c1", "id": 7, "store_id": 1}
    }


def test_wrong_types_are_dropped_not_trusted():
    sent = {"staff": {"username": "u" * 100, "id": "7", "store_id": True}}
    assert console_metadata(sent) == {
        "staff": {"username": "u" * 32, "id": None, "store_id": None}
    }
    assert console_metadata({"staff": {"id": 7}}) is None
    assert console_metadata(["staff"]) is None
    assert console_metadata(None) is None
