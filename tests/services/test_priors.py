"""The prior-suggestion rules on a table of patient records: the same patient, maybe the
same (ask), or another person; typos, other IDs and issuers, missing birth dates,
ideographic names; what the user decided; which studies are earlier."""

import pytest

from app.services.priors import (
    PatientRecord,
    StudyRecord,
    classify,
    compare_names,
    find_priors,
    identity_key,
    normal_birth_date,
    pair_key,
    previous,
)

DOE = PatientRecord("123", "", "DOE^JOHN", "19700101", "M")


def p(patient_id: str = "123", issuer: str = "", name: str = "DOE^JOHN",
      birth: str = "19700101", sex: str = "M") -> PatientRecord:
    return PatientRecord(patient_id, issuer, name, birth, sex)


# (current, other, expected match, expected reason)
CASES = [
    # Same ID, no issuers (most discs): the name and the rest decide.
    (DOE, p(), "same", "Same patient ID and name."),
    (DOE, p(name="doe^john"), "same", "Same patient ID and name."),
    (DOE, p(name="DOE^JOHN^PAUL"), "same", "Same patient ID and name."),
    (DOE, p(name="DOE^JOHN PAUL"), "same", "Same patient ID and name."),
    (DOE, p(name="  DOE ^ JOHN ^^^"), "same", "Same patient ID and name."),
    (DOE, p(name="DOE^JOHN^^DR^JR"), "same", "Same patient ID and name."),
    (DOE, p(birth=""), "same", "Same patient ID and name."),
    (DOE, p(sex=""), "same", "Same patient ID and name."),
    (DOE, p(sex="O"), "same", "Same patient ID and name."),
    (DOE, p(birth="1970.01.01"), "same", "Same patient ID and name."),
    (p(issuer="SITEA"), p(), "same", "Same patient ID and name."),
    (p(issuer="SITEA"), p(issuer="SITEA"), "same", "Same patient ID and name."),
    (DOE, p(name="DOE^JON"), "suggested", "Same patient ID, but the name differs."),
    (DOE, p(name="DOE^J"), "suggested", "Same patient ID, but the name differs."),
    (DOE, p(name="DOE^JOHN^A", patient_id="123"), "same", "Same patient ID and name."),
    (p(name="DOE^JOHN^ALBERT"), p(name="DOE^JOHN^BERNARD"), "suggested",
     "Same patient ID, but the name differs."),
    (DOE, p(birth="19700102"), "suggested", "Same patient ID, but the birth date differs."),
    (DOE, p(sex="F"), "suggested", "Same patient ID, but the sex differs."),
    (DOE, p(name="SMITH^JOHN"), "suggested",  # a new family name, the same birth date
     "Same patient ID, but the name differs."),
    (DOE, p(name="ROE^MARY", birth="19851212", sex="F"), "different",
     "Same patient ID, but another name and birth date."),
    (DOE, p(name="ROE^MARY", birth="", sex=""), "different",
     "Same patient ID, but another name and birth date."),
    (DOE, p(name="DOE^JON", birth="19700102"), "suggested",
     "Same patient ID, but the name and the birth date differ."),
    # Same ID and the same issuer on both: the ID is trusted; what differs is asked.
    (p(issuer="SITEA"), p(issuer="SITEA", name="ROE^MARY", birth="19851212", sex="F"),
     "suggested", "Same patient ID, but the name and the birth date and the sex differ."),
    # Same ID, different issuers: two sites' numbers; only name and birth date count.
    (p(issuer="SITEA"), p(issuer="SITEB"), "suggested",
     "The same name and birth date, but a patient ID from another site."),
    (p(issuer="SITEA"), p(issuer="SITEB", name="ROE^MARY"), "different", "Another patient."),
    # Other IDs: the same birth date and a name that agrees or nearly does.
    (DOE, p(patient_id="X9"), "suggested",
     "The same name and birth date, but another patient ID."),
    (DOE, p(patient_id=""), "suggested",
     "The same name and birth date, but no patient ID to compare."),
    (p(patient_id=""), p(patient_id=""), "suggested",
     "The same name and birth date, but no patient ID to compare."),
    (DOE, p(patient_id="X9", name="Doe^John"), "suggested",
     "The same name and birth date, but another patient ID."),
    (DOE, p(patient_id="X9", name="DOE^JHON"), "suggested",  # two letters swapped
     "A similar name and birth date, but another patient ID."),
    (DOE, p(patient_id="X9", name="DOW^JOHN"), "suggested",  # one letter wrong
     "A similar name and birth date, but another patient ID."),
    (DOE, p(patient_id="X9", name="DOES^JOHN"), "suggested",  # one letter more
     "A similar name and birth date, but another patient ID."),
    (DOE, p(patient_id="X9", name="JOHN^DOE"), "suggested",  # family and given swapped
     "A similar name and birth date, but another patient ID."),
    (DOE, p(patient_id="X9", name="JOHN DOE"), "suggested",  # all in one component
     "A similar name and birth date, but another patient ID."),
    (DOE, p(patient_id="X9", name="DOE^J"), "suggested",  # an initial
     "A similar name and birth date, but another patient ID."),
    (DOE, p(patient_id="X9", birth="1970-01-01"), "suggested",
     "The same name and birth date, but another patient ID."),
    (DOE, p(patient_id="X9", name="DAWE^JOHN"), "different", "Another patient."),  # 2 edits
    (DOE, p(patient_id="X9", name="DOE^JANE"), "different", "Another patient."),
    (DOE, p(patient_id="X9", birth=""), "different", "Another patient."),
    (p(birth=""), p(patient_id="X9", birth=""), "different", "Another patient."),
    (DOE, p(patient_id="X9", birth="19700102"), "different", "Another patient."),
    (DOE, p(patient_id="X9", birth="not a date"), "different", "Another patient."),
    (DOE, p(patient_id="X9", sex="F"), "different", "Another patient."),
    (DOE, p(patient_id="X9", name=""), "different", "Another patient."),
    # Accents, punctuation, hyphens, double family names.
    (p(name="MÜLLER^JOSÉ"), p(patient_id="X9", name="MULLER^JOSE"), "suggested",
     "The same name and birth date, but another patient ID."),
    (p(name="O'NEIL^JEAN-LUC"), p(patient_id="X9", name="ONEIL^JEAN LUC"), "suggested",
     "The same name and birth date, but another patient ID."),
    (p(name="O'NEIL^JEAN-LUC"), p(patient_id="X9", name="O NEIL^JEAN LUC"), "suggested",
     "The same name and birth date, but another patient ID."),
    (p(name="GARCIA LOPEZ^MARIA"), p(patient_id="X9", name="GARCIA^MARIA"), "suggested",
     "A similar name and birth date, but another patient ID."),
    # Ideographic and phonetic groups (PS3.5 6.2.1.2): each group against its own kind.
    (p(name="Yamada^Tarou=山田^太郎=やまだ^たろう"),
     p(patient_id="X9", name="YAMADA^TAROU=山田^太郎=やまだ^たろう"), "suggested",
     "The same name and birth date, but another patient ID."),
    (p(name="Yamada^Tarou=山田^太郎"), p(patient_id="X9", name="Yamada^Taro=山田^太郎"),
     "suggested", "The same name and birth date, but another patient ID."),
    (p(name="Yamada^Tarou=山田^太郎"), p(patient_id="X9", name="=山田^太郎"), "suggested",
     "The same name and birth date, but another patient ID."),
    (p(name="Yamada^Tarou=山田^太郎"), p(patient_id="X9", name="Yamada^Tarou=山田^次郎"),
     "suggested", "A similar name and birth date, but another patient ID."),
    (p(name="Yamada^Tarou"), p(patient_id="X9", name="=山田^太郎"), "different",
     "Another patient."),  # nothing to compare: not suggested
    (p(name="=山田^太郎"), p(patient_id="X9", name="=山田^次郎"), "different",
     "Another patient."),
    (p(name="=山田^太郎"), p(patient_id="X9", name="=ｙａｍａｄａ^太郎"), "different",
     "Another patient."),
    (p(name="=山田^太郎"), p(name="=山田^太郎"), "same", "Same patient ID and name."),
    (p(name="Yamada^Tarou=山田^太郎"), p(name="Yamada^Tarō=山田^太郎"), "same",
     "Same patient ID and name."),
    (p(name="Yamada^Tarou=山田^太郎"), p(name="Yamada^Tarou=山田^次郎"), "suggested",
     "Same patient ID, but the name differs."),
    (p(name="Wang^XiaoDong=王^小東"), p(name="Wang^XiaoDong=王^小東="), "same",
     "Same patient ID and name."),
    (p(name="ＤＯＥ^ＪＯＨＮ"), p(patient_id="X9"), "suggested",  # full-width letters
     "The same name and birth date, but another patient ID."),
]


@pytest.mark.parametrize(("current", "other", "match", "reason"), CASES)
def test_patient_records_are_classified(current: PatientRecord, other: PatientRecord,
                                        match: str, reason: str) -> None:
    assert classify(current, other) == (match, reason)
    # The verdict does not depend on which study is the current one.
    assert classify(other, current)[0] == match


@pytest.mark.parametrize(("a", "b", "agreement"), [
    ("DOE^JOHN", "DOE^JOHN", "same"),
    ("Doe^John", "DOE^JOHN^^^", "same"),
    ("DOE^JOHN", "DOE^JOHN^P", "same"),
    ("DOE^JOHN^PAUL", "DOE^JOHN^P", "same"),
    ("DOE^JOHN^PAUL", "DOE^JOHN^PETER", "close"),  # two middle names
    ("DOE^JOHN^PAUL", "DOE^JOHN^PAULO", "close"),
    ("DOE^JOHN^PAUL", "DOE^JOHN^MARK", "close"),
    ("DOE^JOHN", "DOE^JOHNN", "close"),
    ("DOE^JOHN", "DOE^JANE", "different"),
    ("DOE", "DOE", "same"),
    ("DOE", "DOE^JOHN", "close"),
    ("", "", "different"),
    ("", "DOE^JOHN", "different"),
    ("AB^C", "AD^C", "close"),
])
def test_names_agree_or_not(a: str, b: str, agreement: str) -> None:
    assert compare_names(a, b) == agreement


@pytest.mark.parametrize(("value", "normal"), [
    ("19700101", "19700101"), ("1970.01.01", "19700101"), ("1970-01-01", "19700101"),
    (" 19700101 ", "19700101"), ("19701301", ""), ("1970", ""), ("", ""),
    ("17000101", ""), ("00000000", ""),
])
def test_birth_dates_are_normalised(value: str, normal: str) -> None:
    assert normal_birth_date(value) == normal


def test_a_rejected_pair_is_not_suggested_again_and_a_confirmed_one_is_confirmed() -> None:
    other = p(patient_id="X9", issuer="SITEB", name="DOE^JHON")
    assert classify(DOE, other)[0] == "suggested"
    assert classify(DOE, other, {pair_key(DOE, other): "different"}) == (
        "different", "You said that these are different people.")
    assert classify(other, DOE, {pair_key(DOE, other): "same"}) == (
        "confirmed", "You confirmed that these are the same person.")
    # A rejection also overrides an ID that alone said "same".
    same_id = p(name="DOE^JOHN^PAUL")
    assert classify(DOE, same_id, {pair_key(DOE, same_id): "different"})[0] == "different"
    # A decision about another pair changes nothing here.
    third = p(patient_id="Z1")
    assert classify(DOE, other, {pair_key(DOE, third): "different"})[0] == "suggested"


def test_identity_keys_hide_who_it_is_and_ignore_padding() -> None:
    key = identity_key(DOE)
    assert len(key) == 64 and "DOE" not in key and "123" not in key
    assert identity_key(p(name="DOE^JOHN^^")) == key
    assert identity_key(p(birth="1970.01.01")) == key
    assert identity_key(p(issuer="SITEA")) != key
    assert pair_key(DOE, p(patient_id="X9")) == pair_key(p(patient_id="X9"), DOE)


def study(uid: str, patient: PatientRecord, date: str, time: str = "") -> StudyRecord:
    return StudyRecord(uid, patient, date, time)


def test_priors_are_the_earlier_studies_most_recent_first() -> None:
    current = study("now", DOE, "20240312", "101500")
    studies = [
        current,
        study("2022", DOE, "20220101", "080000"),
        study("2023", DOE, "20230601"),
        study("later", DOE, "20250101"),
        study("undated", DOE, ""),
        study("other-site", p(patient_id="X9", issuer="SITEB"), "20231201"),
        study("someone-else", p(patient_id="555", name="ROE^MARY", birth="19851212"),
              "20200101"),
        study("same-day-earlier", DOE, "20240312", "083000"),
        study("same-day-later", DOE, "20240312", "120000"),
        study("same-day-no-time", DOE, "20240312"),
    ]
    priors = find_priors(current, studies)
    assert [(x.study.study_uid, x.match, x.same_day) for x in priors] == [
        ("same-day-earlier", "same", False),
        ("same-day-no-time", "same", True),
        ("other-site", "suggested", False),
        ("2023", "same", False),
        ("2022", "same", False),
    ]
    assert previous(priors) is priors[0]
    assert [x.needs_confirmation for x in priors] == [False, False, True, False, False]


def test_the_previous_study_is_never_an_unconfirmed_suggestion() -> None:
    current = study("now", DOE, "20240312")
    other_site = study("other-site", p(patient_id="X9"), "20231201")
    priors = find_priors(current, [other_site, study("old", DOE, "20100101")])
    assert [x.study.study_uid for x in priors] == ["other-site", "old"]
    assert previous(priors) is not None and previous(priors).study.study_uid == "old"
    assert previous(find_priors(current, [other_site])) is None
    confirmed = find_priors(current, [other_site],
                            {pair_key(DOE, other_site.patient): "same"})
    assert previous(confirmed) is confirmed[0] and confirmed[0].match == "confirmed"


def test_at_the_same_date_and_time_the_known_patient_comes_first() -> None:
    current = study("now", DOE, "20240312")
    priors = find_priors(current, [study("maybe", p(patient_id="X9"), "20200101"),
                                   study("sure", DOE, "20200101")])
    assert [x.study.study_uid for x in priors] == ["sure", "maybe"]


def test_a_study_without_a_date_has_no_priors() -> None:
    assert find_priors(study("now", DOE, ""), [study("old", DOE, "20100101")]) == []


def test_times_with_fractions_and_short_forms_are_ordered() -> None:
    current = study("now", DOE, "20240312", "1015")
    priors = find_priors(current, [study("a", DOE, "20240312", "101459.999"),
                                   study("b", DOE, "20240312", "1016"),
                                   study("c", DOE, "20240312", "10")])
    assert [x.study.study_uid for x in priors] == ["a", "c"]
