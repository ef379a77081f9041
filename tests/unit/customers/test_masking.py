from bot.customers.masking import mask_name, mask_phone


def test_chinese_names_keep_only_the_family_name():
    assert mask_name("王晓梅") == "王**"
    assert mask_name("李娜") == "李*"
    assert mask_name("欧阳娜娜") == "欧***"


def test_latin_names_keep_only_the_initial():
    assert mask_name("Anna Smith") == "A***"


def test_empty_names_stay_empty():
    assert mask_name("  ") == ""


def test_phones_keep_the_first_three_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("12345") == "*****"
