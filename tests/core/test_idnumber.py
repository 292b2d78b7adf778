from datetime import date

import pytest

from anju.core.errors import AnjuError, ValidationError
from anju.core.idnumber import (
    ERRORS,
    IdNumberInfo,
    check_digit,
    is_valid_id_number,
    normalize_id_number,
    parse_id_number,
)

TODAY = date(2026, 6, 1)
# the example printed in GB 11643-1999 itself: an independent check of the checksum
STANDARD_EXAMPLE = "11010519491231002X"


def make(region: str = "330522", birth: str = "19900101", seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + check_digit(first17)


def error_code(raw: str, **kw) -> str:
    with pytest.raises(ValidationError) as exc:
        parse_id_number(raw, today=TODAY, **kw)
    assert exc.value.field == "id_number"
    return exc.value.code


# --- check digit and normalisation ----------------------------------------------------------

def test_check_digit_known_vectors():
    assert check_digit("11010519491231002") == "X"
    assert check_digit("33052219900101123") == "1"  # the 15 -> 18 example of the brief


@pytest.mark.parametrize("bad", ["1234", "1101051949123100X", "1101051949123100２", ""])
def test_check_digit_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        check_digit(bad)


def test_lowercase_x_is_uppercased():
    assert normalize_id_number("11010519491231002x") == STANDARD_EXAMPLE
    assert parse_id_number("11010519491231002x", today=TODAY).number == STANDARD_EXAMPLE


@pytest.mark.parametrize("raw", [
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and X
    "１１０１０５１９４９１２３１００２ｘ",  # full-width lowercase x
    "110105 19491231 002X",
    " 110105-1949-1231-002X\t",
    "110105\u200b19491231\u200c002\ufeffX",  # zero-width characters from copy and paste
    "110105\u300019491231\u3000002X",  # ideographic spaces
    "110105–19491231—002x",  # dashes typed by input methods
])
def test_normalize_cleans_typing_noise(raw):
    assert normalize_id_number(raw) == STANDARD_EXAMPLE
    assert is_valid_id_number(raw)


def test_upgrade_15_to_18():
    assert normalize_id_number("330522900101123") == "330522199001011231"
    info = parse_id_number("330522 900101 123", today=TODAY)
    assert info.number == "330522199001011231"
    assert info.birth_date == date(1990, 1, 1)
    assert info.sex == "M"


def test_normalize_does_not_validate():
    assert normalize_id_number("abc") == "ABC"
    assert normalize_id_number("330522199001011230") == "330522199001011230"  # bad checksum kept
    assert normalize_id_number(None) == ""
    assert normalize_id_number("33052290010112X") == "33052290010112X"  # not 15 digits: no upgrade


# --- parsing -----------------------------------------------------------------------------------

def test_parse_decodes_fields():
    info = parse_id_number(make(birth="19900101", seq="123"), today=TODAY)
    assert isinstance(info, IdNumberInfo)
    assert info.birth_date == date(1990, 1, 1)
    assert info.sex == "M"  # 3 is odd
    assert info.region_code == "330522"
    assert info.region_known and info.region_name == "浙江省湖州市长兴县"
    assert info.warnings == ()
    assert parse_id_number(make(seq="124"), today=TODAY).sex == "F"
    assert parse_id_number(STANDARD_EXAMPLE, today=TODAY).sex == "F"  # 2 is even


def test_info_is_frozen_and_has_age():
    info = parse_id_number(make(birth="19900615"), today=TODAY)
    with pytest.raises(AttributeError):
        info.sex = "F"  # type: ignore[misc]
    assert info.age(date(2026, 6, 14)) == 35
    assert info.age(date(2026, 6, 15)) == 36


def test_leap_day_2000_is_valid():
    info = parse_id_number(make(birth="20000229"), today=TODAY)
    assert info.birth_date == date(2000, 2, 29)


@pytest.mark.parametrize("birth", ["20010229", "19901301", "19900431", "19900100", "19000229"])
def test_impossible_birth_dates_rejected(birth):
    assert error_code(make(birth=birth)) == "id_birth_date"


def test_birth_before_1900_rejected():
    assert error_code(make(birth="18991231")) == "id_birth_date"
    assert parse_id_number(make(birth="19000101"), today=TODAY).birth_date == date(1900, 1, 1)


def test_future_birth_date_rejected():
    assert error_code(make(birth="20260602")) == "id_birth_date"
    assert parse_id_number(make(birth="20260601"), today=TODAY).birth_date == TODAY  # born today


def test_future_check_uses_real_today_by_default():
    with pytest.raises(ValidationError):
        parse_id_number(make(birth=f"{date.today().year + 1}0101"))


def test_bad_checksum_rejected():
    good = make()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert error_code(bad) == "id_checksum"
    assert not is_valid_id_number(bad)


def test_single_digit_typo_is_caught():
    good = STANDARD_EXAMPLE
    for i in range(17):
        for digit in "0123456789":
            if digit != good[i]:
                typo = good[:i] + digit + good[i + 1:]
                assert not is_valid_id_number(typo), typo


@pytest.mark.parametrize("raw", ["", "1101051949123100", "11010519491231002XX", "1" * 19, "12345"])
def test_wrong_length_rejected(raw):
    assert error_code(raw) == "id_length"


def test_none_is_a_length_error():
    with pytest.raises(ValidationError) as exc:
        parse_id_number(None)  # type: ignore[arg-type]
    assert exc.value.code == "id_length"


@pytest.mark.parametrize("raw", ["11010519491231002A", "1101051949123100X2", "11010519491231O02X",
                                 "11010519491231002Y", "1101051949123!002X"])
def test_invalid_characters_rejected(raw):
    assert error_code(raw) == "id_chars"


def test_errors_are_bilingual_and_do_not_echo_the_number():
    number = make()[:17] + ("0" if make()[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        parse_id_number(number, today=TODAY)
    err = exc.value
    assert isinstance(err, AnjuError)
    assert err.message_zh and err.message_en and err.message_zh != err.message_en
    assert str(err) == f"{err.message_zh} / {err.message_en}"
    assert number not in str(err) and number[6:14] not in str(err)


# --- region codes: warnings, never rejections ----------------------------------------------

def test_retired_region_is_a_warning_with_its_name():
    info = parse_id_number(make(region="110104", birth="19800101"), today=TODAY)  # 宣武区, gone 2010
    assert info.region_known
    assert info.region_name == "北京市宣武区"
    assert [w.code for w in info.warnings] == ["id_region_retired"]
    w = info.warnings[0]
    assert "宣武区" in w.message_zh and "retired" in w.message_en


def test_new_county_accepted():
    info = parse_id_number(make(region="653228", birth="20240501"), today=TODAY)  # 和康县, 2024
    # our table has it; if a later table lacked it, it would still be accepted with a warning
    assert info.region_known and info.region_name == "新疆维吾尔自治区和田地区和康县"
    assert info.warnings == ()
    assert is_valid_id_number(make(region="659011"))  # 新星市


@pytest.mark.parametrize("region", ["999999", "330599", "000000", "009999"])
def test_unknown_region_is_a_warning(region):
    info = parse_id_number(make(region=region), today=TODAY)
    assert not info.region_known and info.region_name is None
    assert [w.code for w in info.warnings] == ["id_region_unknown"]
    assert is_valid_id_number(make(region=region))


def test_hong_kong_macao_taiwan_residence_permits():
    for region in ("810000", "820000", "830000"):
        info = parse_id_number(make(region=region), today=TODAY)
        assert info.region_known and info.warnings == ()
        assert info.region_name


def test_is_valid_id_number():
    assert is_valid_id_number(STANDARD_EXAMPLE)
    assert is_valid_id_number("330522900101123")
    assert not is_valid_id_number("not an id")
    assert not is_valid_id_number(make(birth="20010229"))


# --- one set of rules, two forms -------------------------------------------------------------

def sample_ids(n: int = 3000, seed: int = 7) -> list[str]:
    """Valid numbers and every way departments and people get them wrong: wrong check
    characters, impossible and future dates (2001-02-29 next to 2000-02-29, 1900-02-29, births
    before 1900), legacy 15-digit numbers, lowercase x, full-width digits, separators and
    zero-width characters, stray letters, wrong lengths."""
    import random

    rng = random.Random(seed)
    fixed = ["20000229", "20010229", "19000229", "19960229", "18991231", "19000101", "20260601",
             "20260602", "19901301", "19900431", "19900100", "00000101"]
    out = []
    for i in range(n):
        if i % 5 == 0:
            birth = rng.choice(fixed)
        else:
            birth = f"{rng.randrange(1880, 2031):04d}{rng.randrange(0, 14):02d}{rng.randrange(0, 33):02d}"
        number = make(region=f"{rng.randrange(110000, 660000):06d}", birth=birth,
                      seq=f"{rng.randrange(1000):03d}")
        kind = i % 11
        if kind == 1:  # a wrong check character
            number = number[:17] + rng.choice([c for c in "0123456789X" if c != number[17]])
        elif kind == 2:  # a legacy number (its year in the 1900s)
            number = number[:6] + number[8:17]
        elif kind == 3:
            number = number.lower()
        elif kind == 4:  # full-width
            number = number.translate(str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ"))
        elif kind == 5:  # separators typed or pasted
            sep = rng.choice([" ", "-", "\u3000", "\u200b", "–", "\t", "\ufeff"])
            number = number[:6] + sep + number[6:14] + sep + number[14:]
        elif kind == 6:  # a stray letter or sign
            at = rng.randrange(18)
            number = number[:at] + rng.choice("AOIx!/") + number[at + 1:]
        elif kind == 7:  # too short or too long
            number = number[:rng.choice([0, 14, 15, 16, 17])] if rng.random() < 0.5 \
                else number + rng.choice(["1", "X", "12"])
        elif kind == 8:  # 15 characters that are not 15 digits
            number = number[:6] + number[8:16] + "X"
        out.append(number)
    return out


def test_the_vectorised_rules_answer_as_the_scalar_ones():
    import polars as pl

    from anju.core.idnumber import check_id_number, check_id_numbers

    raws = sample_ids()
    column = check_id_numbers(pl.Series(raws), today=TODAY).rows(named=True)
    kinds = set()
    for raw, row in zip(raws, column, strict=True):
        one = check_id_number(raw, TODAY)
        assert (row["id_number"], row["error"], row["id_valid"]) == \
            (one.number, one.error, one.valid), raw
        kinds.add(one.error)
        try:
            assert parse_id_number(raw, today=TODAY).number == one.number and one.valid, raw
        except ValidationError as error:
            assert error.code == one.error, raw
    assert kinds == {None, *ERRORS}  # the sample breaks every rule
