from bot.locale.zh.clv import basis_note


def test_a_trusted_fit_needs_no_note_and_a_fallback_says_why():
    assert basis_note({"model": "bgnbd", "problems": []}) == ""
    assert basis_note({}) == ""  # snapshots written before fits were checked
    note = basis_note({"model": "rhythm", "problems": ["no_dropout", "at_bounds"]})
    assert note == (
        "（BG/NBD模型在这份数据上不可用：拟合结果是没有人会流失、参数落在边界上；"
        "按她的购买节奏估计）"
    )
