"""The patient search finds a name however it is typed: case, accents, apostrophes, hyphens
(treatments.text, ``Patient.search_key``, migration 0016), on SQLite and on PostgreSQL alike
(run with DATABASE_URL for the second), through an index on each."""

import string
import unicodedata

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from tests.factories import make_patient
from treatments import services
from treatments.models import Patient
from treatments.text import APOSTROPHES, HYPHENS, fold, search_key, search_terms

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- Folding (no database) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Zoë", "zoe"),
        ("ZOË", "zoe"),
        ("Zoe\u0308", "zoe"),  # the diaeresis as a combining mark, as some keyboards send it
        ("O'Brien", "o brien"),
        ("O’Brien", "o brien"),
        ("O‘Brien", "o brien"),
        ("Oʼ Brien", "o brien"),
        ("O`Brien", "o brien"),
        ("O´Brien", "o brien"),
        ("Łukasz", "lukasz"),
        ("ŁUKASZ", "lukasz"),
        ("Søren Nørgaard", "soren norgaard"),
        ("Ærøskøbing", "aeroskobing"),
        ("Œuvray", "oeuvray"),
        ("Straße", "strasse"),
        ("Đorđević", "dordevic"),
        ("Þórunn Guðmundsdóttir", "thorunn gudmundsdottir"),
        ("İlkay Gündoğan", "ilkay gundogan"),
        ("Yıldız", "yildiz"),
        ("José Núñez", "jose nunez"),
        ("Müller-Lang", "muller lang"),
        ("Müller–Lang", "muller lang"),
        ("Ｈａｒｔ", "hart"),
        ("ﬁnn", "finn"),
        ("Ann\u00admarie", "annmarie"),  # a soft hyphen
        ("  Van \t der\u00a0Berg ", "van der berg"),
        ("'", ""),
        ("", ""),
    ],
)
def test_fold_folds_case_accents_apostrophes_and_hyphens(typed, folded):
    assert fold(typed) == folded


def test_search_key_holds_each_part_joined_up_from_each_of_its_words_on():
    assert search_key("Mia-Sophie", "van der Berg", "MRN42") == (
        "miasophie sophie vanderberg derberg berg mrn42"
    )
    assert search_key("Zoë", "O’Brien", "") == "zoe obrien brien"


def test_search_terms_fold_each_word_and_drop_the_empty_ones():
    assert search_terms("  O’Brien ' Zoë – van-der ") == ["obrien", "zoe", "vander"]


def test_search_terms_keep_the_first_five_words():
    assert search_terms("a b c d e f g") == ["a", "b", "c", "d", "e"]


@settings(max_examples=500)
@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


# Names as a registry holds them: ASCII letters, with an apostrophe, hyphen or space inside.
NAME = st.lists(
    st.text(alphabet=string.ascii_letters, min_size=1, max_size=8), min_size=1, max_size=3
).flatmap(
    lambda words: st.lists(
        st.sampled_from(["'", "-", " "]), min_size=len(words) - 1, max_size=len(words) - 1
    ).map(lambda joins: words[0] + "".join(j + w for j, w in zip(joins, words[1:], strict=True)))
)
ACCENTS = [chr(mark) for mark in range(0x0300, 0x0370)]
# A letter and the letters written in its place that NFKD does not decompose.
STROKED = {"l": "łŁ", "o": "øØ", "d": "đĐð", "i": "ı", "h": "ħ", "t": "ŧ"}


@st.composite
def spelt_otherwise(draw, name: str) -> str:
    """``name`` as someone else types it: any case, accents added, the letters of another
    alphabet, apostrophes and hyphens of any kind or none, spaces doubled."""
    out = []
    for char in name:
        if char == "'":
            out.append(draw(st.sampled_from([*APOSTROPHES, ""])))
        elif char == "-":
            out.append(draw(st.sampled_from([*HYPHENS, ""])))
        elif char == " ":
            out.append(draw(st.sampled_from([" ", "  ", "\u00a0"])))
        else:
            letter = draw(st.sampled_from([char.lower(), char.upper()]))
            if char.lower() in STROKED and draw(st.booleans()):
                letter = draw(st.sampled_from(STROKED[char.lower()]))
            marks = draw(st.lists(st.sampled_from(ACCENTS), max_size=2))
            out.append(
                unicodedata.normalize(
                    draw(st.sampled_from(["NFC", "NFD"])), letter + "".join(marks)
                )
            )
    return "".join(out)


@settings(max_examples=500)
@given(st.data())
def test_any_spelling_of_a_name_folds_to_the_same_letters(data):
    name = data.draw(NAME)
    variant = data.draw(spelt_otherwise(name))
    assert fold(variant).replace(" ", "") == fold(name).replace(" ", "")


# --- Search (the database) ----------------------------------------------------------------------

# (given name, family name, record number) stored, and a query that must find it.
MATCHES = [
    (("Zoë", "Hart", "A-1"), "Zoe"),
    (("Zoë", "Hart", "A-1"), "zoë hart"),
    (("Zoe", "Hart", "A-1"), "ZOË"),
    (("Seán", "O'Brien", "A-1"), "obrien"),
    (("Seán", "O'Brien", "A-1"), "O’Brien"),
    (("Seán", "O'Brien", "A-1"), "o‘brien sean"),
    (("Seán", "O’Brien", "A-1"), "O'Brien"),
    (("Seán", "O'Brien", "A-1"), "o brien"),
    (("Łukasz", "Nowak", "A-1"), "łukasz"),
    (("Łukasz", "Nowak", "A-1"), "lukasz"),
    (("Łukasz", "Nowak", "A-1"), "ŁUKASZ NOW"),
    (("Søren", "Nørgaard", "A-1"), "soren norgaard"),
    (("Anna", "Müller-Lang", "A-1"), "muller lang"),
    (("Anna", "Müller-Lang", "A-1"), "mullerlang"),
    (("Anna", "Muller Lang", "A-1"), "Müller-Lang"),
    (("Mia-Sophie", "Dubois", "A-1"), "mia sophie"),
    (("Pieter", "van der Berg", "A-1"), "vanderberg"),
    (("Pieter", "van der Berg", "A-1"), "berg"),
    (("Pieter", "van der Berg", "A-1"), "de"),  # two letters: a word's start inside a name
    # A short word typed with an apostrophe, inside a name of several words (hypothesis found it).
    (("Ada", "A A'B", "A-1"), "a a'b"),
    (("Ada", "A AB", "A-1"), "a a'b"),
    (("Mia-Sophie", "Dubois", "A-1"), "so"),
    (("José", "Núñez", "A-1"), "jose nunez"),
    (("Jörg", "Strauß", "A-1"), "strauss"),
    (("İlkay", "Gündoğan", "A-1"), "ilkay gundogan"),
    (("Ada", "Hart", "B-200"), "b-2"),
    (("Ada", "Hart", "B-200"), "B200"),
    (("Ada", "Hart", "B-200"), "har"),
    (("Hanna", "Smith", "A-1"), "ann"),  # three letters: anywhere in a name
    (("Anna", "Smith", "A-1"), "an"),  # two letters: where a name begins
    (("Ada", "Ng", "A-1"), "ng"),
]

# Stored, and a query that must not find it.
MISSES = [
    (("Zoë", "Hart", "A-1"), "zoey"),
    (("Seán", "O'Brien", "A-1"), "obrian"),
    (("Łukasz", "Nowak", "A-1"), "lukasz nowicki"),  # every word must match
    (("Lena", "Novak", "A-1"), "nowak"),
    (("Hanna", "Smith", "A-1"), "an"),  # two letters inside a name: not a name's start
    (("Ann", "Alee", "A-1"), "nna"),  # a word never spans the given and the family name
    (("Ada", "Hart", "B-200"), "a-100"),
]


def _patient(given, family, number):
    return make_patient(given_name=given, family_name=family, medical_record_number=number)


@pytest.mark.django_db
@pytest.mark.parametrize(("stored", "query"), MATCHES, ids=[q for _, q in MATCHES])
def test_search_finds_the_name_however_it_is_typed(stored, query):
    patient = _patient(*stored)
    _patient("Other", "Person", "Z-9")
    assert list(Patient.objects.search(query)) == [patient]


@pytest.mark.django_db
@pytest.mark.parametrize(("stored", "query"), MISSES, ids=[q for _, q in MISSES])
def test_search_does_not_find_another_name(stored, query):
    _patient(*stored)
    assert list(Patient.objects.search(query)) == []


@pytest.mark.django_db
def test_search_of_nothing_but_apostrophes_finds_everyone():
    patients = [_patient("Ada", "Hart", "A-1"), _patient("Kwame", "Mensah", "A-2")]
    assert list(Patient.objects.search(" ’ - ").order_by("pk")) == patients


@pytest.mark.django_db
def test_search_escapes_the_wildcards_of_like():
    _patient("Ada", "Hart", "A-1")
    assert list(Patient.objects.search("%")) == []
    assert list(Patient.objects.search("h_rt")) == []


@pytest.mark.django_db
def test_search_page_finds_zoe_typed_without_the_diaeresis(dermatologist_client):
    _patient("Zoë", "O'Brien", "A-1")
    _patient("Kwame", "Mensah", "A-2")
    response = dermatologist_client.post("/patients/", {"q": "zoe o’brien"}, **HTMX)
    assert [p.given_name for p in response.context["page"].object_list] == ["Zoë"]
    assert "Zoë" in response.content.decode()


@pytest.mark.django_db
def test_the_search_key_follows_the_record_when_it_changes():
    patient = services.patient_save(
        medical_record_number="A-1",
        given_name="Zoë",
        family_name="Hart",
        date_of_birth="1990-01-01",
    )
    assert patient.search_key == "zoe hart a1 1"
    services.patient_save(patient=patient, family_name="Łukasiewicz")
    patient.refresh_from_db()
    assert patient.search_key == "zoe lukasiewicz a1 1"
    assert list(Patient.objects.search("lukasiewicz")) == [patient]
    assert list(Patient.objects.search("hart")) == []


@pytest.mark.django_db
def test_the_audit_trail_records_the_names_not_their_search_key(dermatologist_client):
    dermatologist_client.post(
        "/patients/new/",
        {
            "medical_record_number": "A-1",
            "given_name": "Zoë",
            "family_name": "Hart",
            "date_of_birth": "1990-01-01",
        },
    )
    event = AuditEvent.objects.filter(action="create", object_type="treatments.patient").get()
    assert event.detail["changes"]["given_name"] == ["None", "Zoë"]
    assert "search_key" not in event.detail["changes"]


@pytest.mark.django_db
def test_bulk_created_patients_get_their_search_key():
    Patient.objects.bulk_create(
        [
            Patient(
                medical_record_number="A-1",
                given_name="Søren",
                family_name="D'Angelo",
                date_of_birth="1990-01-01",
            )
        ]
    )
    assert Patient.objects.get().search_key == "soren dangelo angelo a1 1"


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_search_finds_a_name_stored_one_way_and_typed_another(data):
    name = data.draw(NAME)
    variant = data.draw(spelt_otherwise(name))
    stored, typed = data.draw(st.sampled_from([(name, variant), (variant, name)]))
    patient = make_patient(given_name="Ada", family_name=stored[:100])
    assert Patient.objects.search(typed).filter(pk=patient.pk).exists()


# --- The index ----------------------------------------------------------------------------------


def _plan(query: str) -> str:
    """The plan of the search page's query for ``query``, as the database prints it."""
    patients = Patient.objects.order_by("family_name", "given_name", "id").search(query)
    with CaptureQueriesContext(connection) as captured:
        list(patients[:25])
    sql = captured.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A handful of rows is read fastest without any index: ask whether it can be used.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["łukasz", "ab", "zoe hart"])
def test_the_search_reads_its_index(query):
    for number in range(30):
        _patient("Ada", f"Hart{number}", f"A-{number}")
    expected = {"postgresql": "patient_search_key_trgm", "sqlite": "patient_search_order"}
    assert expected[connection.vendor] in _plan(query)


# --- The migration ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_key_of_every_patient_already_there():
    executor = MigrationExecutor(connection)
    executor.migrate([("treatments", "0015_signer_and_addenda")])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO treatments_patient (medical_record_number, given_name, family_name,"
            " date_of_birth, sex, pregnant, breastfeeding, isotretinoin_last_6_months,"
            " herpes_simplex_history, cold_intolerance, keloid_tendency, anticoagulant,"
            " photosensitising_drug, created_at, updated_at) VALUES ('X-1', 'Zoë', 'O’Brien',"
            " '1990-01-01', '', false, false, false, false, false, false, false, false,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    patient = Patient.objects.get(medical_record_number="X-1")
    assert patient.search_key == "zoe obrien brien x1 1"
    assert Patient.objects.search("Zoe OBrien").count() == 1
