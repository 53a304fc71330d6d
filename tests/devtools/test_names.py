"""devtools.names: realistic Vietnamese names shared by both generators."""

import random
import unicodedata
from collections import Counter

from devtools import names


def share(weighted, name):
    return dict(weighted)[name] / sum(weight for _, weight in weighted)


def test_every_name_is_one_nfc_word_and_listed_once():
    parts = [names.FAMILY, *names.MIDDLE.values(), *names.GIVEN.values()]
    for weighted in parts:
        listed = [name for name, _ in weighted]
        assert len(listed) == len(set(listed))
        for name, weight in weighted:
            assert unicodedata.normalize("NFC", name) == name
            assert name.strip() == name and " " not in name
            assert isinstance(weight, int) and weight >= 1


def test_family_names_carry_their_share_of_the_population():
    assert 0.37 <= share(names.FAMILY, "Nguyễn") <= 0.40
    assert 0.10 <= share(names.FAMILY, "Trần") <= 0.12
    assert 0.09 <= share(names.FAMILY, "Lê") <= 0.10
    assert 0.065 <= share(names.FAMILY, "Phạm") <= 0.075
    hoang_huynh = share(names.FAMILY, "Hoàng") + share(names.FAMILY, "Huỳnh")
    assert 0.045 <= hoang_huynh <= 0.055
    assert len(names.FAMILY) >= 50


def test_van_and_thi_lead_the_middle_names_and_hundreds_of_given_names_exist():
    assert names.MIDDLE["male"][0][0] == "Văn" and names.MIDDLE["female"][0][0] == "Thị"
    assert 0.3 <= share(names.MIDDLE["male"], "Văn") <= 0.45
    assert 0.3 <= share(names.MIDDLE["female"], "Thị") <= 0.45
    assert sum(len(given) for given in names.GIVEN.values()) >= 200


def test_picked_names_follow_the_weights_and_combine_into_thousands():
    picker = names.NamePicker()
    rng = random.Random(4)
    drawn = [picker.full_name(rng) for _ in range(20000)]
    family = Counter(name.split()[0] for name in drawn)
    assert abs(family["Nguyễn"] / 20000 - share(names.FAMILY, "Nguyễn")) < 0.015
    assert len(set(drawn)) > 8000
    assert all(len(name.split()) == 3 for name in drawn)
    assert not any(name.split()[1] == "Thị" and name.split()[2] == "Hùng" for name in drawn)


def test_slots_hold_each_name_as_many_times_as_its_weight():
    slots = names.slots()
    assert Counter(slots[("family", "")]) == dict(names.FAMILY)
    for sex in names.SEXES:
        assert Counter(slots[("middle", sex)]) == dict(names.MIDDLE[sex])
        assert Counter(slots[("given", sex)]) == dict(names.GIVEN[sex])
