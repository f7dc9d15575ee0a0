"""The layout every page shares (base.html, treatments.context_processors.layout): the menu each
role sees, and the addresses it draws, worked out once per process."""

import re

import pytest
from django.templatetags.static import static
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_user
from treatments import roles

pytestmark = pytest.mark.django_db

MENU_LINK = re.compile(r'<li class="nav-item"><a class="nav-link" href="([^"]+)">([^<]+)</a></li>')


def menu_on(client) -> list[tuple[str, str]]:
    page = client.get(reverse("treatments:rules_reference"))
    assert page.status_code == 200
    return [(label, url) for url, label in MENU_LINK.findall(page.content.decode())]


@pytest.mark.parametrize(
    ("role", "staff", "expected"),
    [
        (roles.DERMATOLOGIST, False, ["Patients", "Today", "Sessions", "Rules"]),
        (roles.CLINIC_STAFF, False, ["Patients", "Today", "Sessions", "Rules"]),
        (
            roles.CLINIC_ADMIN,
            True,
            [
                "Patients",
                "Today",
                "Sessions",
                "Rules",
                "Admin",
                "Audit",
                "EHR feedback",
                "Outcomes",
            ],
        ),
        (None, False, ["Rules"]),
    ],
)
def test_each_role_sees_the_menu_items_its_permissions_allow(client, role, staff, expected):
    user = make_user("someone", role, is_staff=staff)
    client.force_login(user)
    menu = menu_on(client)
    assert [label for label, _url in menu] == expected
    names = {
        "Patients": "treatments:patient_list",
        "Today": "treatments:today",
        "Sessions": "treatments:session_list",
        "Rules": "treatments:rules_reference",
        "Admin": "admin:index",
        "Audit": "audit:report",
        "EHR feedback": "treatments:cds_feedback_report",
        "Outcomes": "treatments:outcome_report",
    }
    assert all(url == reverse(names[label]) for label, url in menu)


def test_a_revoked_permission_takes_its_menu_item_away_on_the_next_page(client):
    user = make_user("derm", roles.DERMATOLOGIST)
    client.force_login(user)
    assert "Patients" in dict(menu_on(client))
    user.groups.clear()
    assert "Patients" not in dict(menu_on(client))


def test_the_layout_links_its_files_and_pages_at_their_addresses(dermatologist_client):
    page = dermatologist_client.get(reverse("treatments:rules_reference")).content.decode()
    for path in ("img/favicon.svg", "css/app.css", "js/app.js", "django_htmx/htmx-2.min.js"):
        assert f'"{static(path)}"' in page
    for name in ("treatments:home", "treatments:session_keepalive", "logout", "password_change"):
        assert f'"{reverse(name)}"' in page


def test_changed_settings_give_fresh_addresses(dermatologist_client):
    with override_settings(STATIC_URL="/assets/"):
        page = dermatologist_client.get(reverse("treatments:rules_reference")).content.decode()
        assert '"/assets/css/app.css"' in page
    page = dermatologist_client.get(reverse("treatments:rules_reference")).content.decode()
    assert f'"{static("css/app.css")}"' in page and "/assets/" not in page
