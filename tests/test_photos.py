"""Clinical photos (issue 16, items 3 and 4): upload, cleaning, refusal of bad input, private
storage served only through the audited view, consent, before/after, and finality once signed.

Every image here is made in the test with Pillow; none is a binary fixture.
"""

import hashlib
import io
import struct
import zlib
from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageFile

from audit.models import AuditEvent
from milia_clinic.settings import photo_storage as photo_storage_setting
from tests.factories import (
    make_consultation,
    make_patient,
    make_photo,
    make_site,
    make_user,
    photo_bytes,
    sign,
)
from treatments import photos, roles, services
from treatments.models import ClinicalPhoto

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def _own_photo_storage(settings, tmp_path):
    """A folder of this test's own, so that "nothing stored" can be checked."""
    settings.STORAGES = settings.STORAGES | {
        "photos": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "photos")},
        }
    }


def stored_files() -> list[str]:
    """Every file in the photo storage (the test run's own folder)."""
    storage = services.photo_storage()
    return sorted(storage.listdir("")[1]) if storage.exists("") else []


def exif_with_gps_and_rotation() -> Image.Exif:
    """EXIF as a phone writes it: where (GPS), when, and "turn me 90° to show me upright"."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was held on its side: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8769)[photos.EXIF_DATE_TAKEN] = "2026:03:04 10:20:30"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 0.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 0.0)
    return exif


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels: a decompression bomb's
    calling card (a few hundred bytes that would decode to hundreds of megabytes)."""
    small = photo_bytes((8, 8), format="PNG")
    ihdr_at = small.index(b"IHDR")
    body = struct.pack(">II", width, height) + small[ihdr_at + 12 : ihdr_at + 17]
    chunk = b"IHDR" + body
    return (
        small[: ihdr_at - 4]
        + struct.pack(">I", len(body))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + small[ihdr_at + 21 :]
    )


@pytest.fixture
def draft_site(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    return make_site(consultation, location="cheek", side="left")


def upload(client, site, data: bytes, name: str, consent="record"):
    return client.post(
        f"/sites/{site.pk}/photos/new/",
        {"image": SimpleUploadedFile(name, data, content_type="image/jpeg"), "consent": consent},
    )


# --- Cleaning ------------------------------------------------------------------------------------


def test_an_uploaded_photo_is_stored_upright_without_exif_or_gps(
    dermatologist_client, dermatologist, draft_site
):
    original = photo_bytes((64, 48), exif=exif_with_gps_and_rotation())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the upload has GPS

    response = upload(dermatologist_client, draft_site, original, "IMG_0001.JPG")

    assert response.status_code == 302
    photo = ClinicalPhoto.objects.get()
    stored = services.photo_storage().open(photo.image_name).read()
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert b"Exif" not in stored and b"PhoneMaker" not in stored
    # Turned upright as the orientation said, so no viewer turns it again.
    assert (image.width, image.height) == (photo.width, photo.height) == (48, 64)
    thumbnail = Image.open(services.photo_storage().open(photo.thumbnail_name))
    assert max(thumbnail.size) <= photos.THUMBNAIL_PIXELS
    assert photo.sha256 == hashlib.sha256(stored).hexdigest()
    # When the camera took it (its own date, in the clinic's time zone), who uploaded it.
    assert timezone.localtime(photo.taken_at).replace(tzinfo=None) == datetime(
        2026, 3, 4, 10, 20, 30
    )
    assert photo.uploaded_by == dermatologist
    assert photo.consent == "record"
    # Random names, nothing of the patient in them.
    assert "cheek" not in photo.image_name and photo.image_name.endswith(".jpg")


def test_appended_bytes_after_a_jpeg_are_dropped_by_re_encoding():
    # A phone's "motion photo" appends a video after the JPEG: not refused, not kept.
    clean = photos.clean_photo(photo_bytes() + b"\x00ftypmp42" + bytes(200), "motion.jpg")
    assert b"ftypmp42" not in clean.image


def test_a_heic_photo_is_accepted_and_stored_as_jpeg(dermatologist_client, draft_site):
    response = upload(dermatologist_client, draft_site, photo_bytes(format="HEIF"), "IMG_2.HEIC")

    assert response.status_code == 302
    photo = ClinicalPhoto.objects.get()
    assert photo.image_name.endswith(".jpg")
    assert Image.open(services.photo_storage().open(photo.image_name)).format == "JPEG"


def test_a_png_stays_a_png(dermatologist_client, draft_site):
    response = upload(dermatologist_client, draft_site, photo_bytes(format="PNG"), "scan.png")

    assert response.status_code == 302
    assert ClinicalPhoto.objects.get().image_name.endswith(".png")


# --- Bad input -----------------------------------------------------------------------------------


def _truncated_jpeg() -> bytes:
    whole = photo_bytes((400, 300), color="blue")
    return whole[: len(whole) // 2]


BAD_FILES = {
    "not an image": (b"name,dob\nAda,1990-05-17\n", "photo.jpg", "not a photo that can be read"),
    "zero bytes": (b"", "photo.jpg", "The file is empty"),
    "truncated": (None, "photo.jpg", "incomplete or damaged"),
    "50-megapixel bomb": (None, "bomb.png", "50 megapixels"),
    "html after a jpeg": (
        photo_bytes() + b"<html><script>alert(document.cookie)</script></html>",
        "photo.jpg",
        "web page or script code",
    ),
    "script in a png": (
        photo_bytes(format="PNG") + b"<script>alert(1)</script>",
        "photo.png",
        "web page or script code",
    ),
    "data after a png": (photo_bytes(format="PNG") + b"PK\x03\x04zip", "a.png", "after the end"),
    "png named .jpg": (photo_bytes(format="PNG"), "photo.jpg", "ends in .jpg, but it holds a PNG"),
    "no extension": (photo_bytes(), "photo", "ends in no extension"),
    "a gif": (photo_bytes(format="GIF"), "photo.gif", "this file is GIF"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(
    dermatologist_client, draft_site, case, monkeypatch
):
    # As WeasyPrint leaves it once imported: Pillow itself would read a cut-short image.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data, name, message = BAD_FILES[case]
    if case == "truncated":
        data = _truncated_jpeg()
    if case == "50-megapixel bomb":
        data = png_header_claiming(10_000, 5_000)

    response = upload(dermatologist_client, draft_site, data, name)

    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was saved" in text
    assert message in text.replace("&#x27;", "'")
    assert ClinicalPhoto.objects.count() == 0
    assert stored_files() == []


@pytest.mark.parametrize("progressive", [False, True])
def test_a_jpeg_is_complete_only_up_to_its_end_marker(progressive):
    out = io.BytesIO()
    noisy = Image.effect_noise((300, 200), 60).convert("RGB")
    noisy.save(out, format="JPEG", progressive=progressive, exif=exif_with_gps_and_rotation())
    whole = out.getvalue()
    assert photos.jpeg_is_complete(whole)
    assert photos.jpeg_is_complete(whole + b"\x00\x00\x00\x18ftypmp42" + bytes(100))
    for cut in (len(whole) - 2, len(whole) // 2, len(whole) // 5, 40):
        assert not photos.jpeg_is_complete(whole[:cut])
    png = photo_bytes(format="PNG")
    with pytest.raises(photos.PhotoRefused, match="cut short"):
        photos.clean_photo(png[:-20], "cut.png")


def test_the_pixel_limit_is_checked_before_decoding():
    bomb = png_header_claiming(10_000, 5_000)
    assert len(bomb) < 1_000
    assert Image.MAX_IMAGE_PIXELS == photos.MAX_PIXELS
    with pytest.raises(photos.PhotoRefused, match="limit is 40 megapixels"):
        photos.clean_photo(bomb, "bomb.png")
    # Just over the limit (Pillow itself would only warn there): refused as well.
    with pytest.raises(photos.PhotoRefused, match="limit is 40 megapixels"):
        photos.clean_photo(png_header_claiming(8_000, 5_001), "big.png")
    # Far over it: Pillow refuses before we ask, and the message says so.
    with pytest.raises(photos.PhotoRefused, match="more than 80 megapixels"):
        photos.clean_photo(png_header_claiming(20_000, 20_000), "huge.png")


def test_a_file_over_the_size_limit_is_refused_by_the_form(
    dermatologist_client, draft_site, monkeypatch
):
    monkeypatch.setattr(photos, "MAX_BYTES", 100)
    response = upload(dermatologist_client, draft_site, photo_bytes((200, 200)), "big.jpg")

    assert response.status_code == 400
    assert "larger than 20 MB" in response.content.decode()
    assert ClinicalPhoto.objects.count() == 0


def test_consent_must_be_recorded(dermatologist_client, draft_site):
    response = upload(dermatologist_client, draft_site, photo_bytes(), "a.jpg", consent="")

    assert response.status_code == 400
    assert "Record what the patient agreed" in response.content.decode()
    assert stored_files() == []


def test_the_stored_files_are_removed_when_the_row_cannot_be_written(
    dermatologist, draft_site, monkeypatch
):
    def refuse(*args, **kwargs):
        raise IntegrityError("the database refused")

    monkeypatch.setattr(ClinicalPhoto, "save", refuse)
    with pytest.raises(IntegrityError):
        make_photo(draft_site, by=dermatologist)
    assert stored_files() == []


# --- Signed means final --------------------------------------------------------------------------


def test_a_photo_cannot_be_added_to_a_signed_consultation(dermatologist_client, draft_site):
    sign(draft_site.consultation)

    response = upload(dermatologist_client, draft_site, photo_bytes(), "a.jpg")

    assert response.status_code == 302
    assert ClinicalPhoto.objects.count() == 0
    assert stored_files() == []
    page = dermatologist_client.get(response["Location"]).content.decode()
    assert "signed and can no longer be changed" in page
    # Its photos page offers no upload.
    photos_page = dermatologist_client.get(f"/sites/{draft_site.pk}/photos/").content.decode()
    assert "Upload photo" not in photos_page and "its photos are final" in photos_page


def test_the_service_refuses_a_signed_consultation(dermatologist, draft_site):
    sign(draft_site.consultation)
    with pytest.raises(services.ConsultationSigned):
        make_photo(draft_site, by=dermatologist)


def test_the_database_refuses_photos_under_a_signed_consultation(dermatologist, draft_site):
    photo = make_photo(draft_site, by=dermatologist)
    sign(draft_site.consultation)

    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicalPhoto.objects.create(
            site=draft_site,
            image_name="x.jpg",
            thumbnail_name="x-thumbnail.jpg",
            width=1,
            height=1,
            sha256="0" * 64,
            consent="record",
            taken_at=timezone.now(),
            uploaded_by=dermatologist,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicalPhoto.objects.filter(pk=photo.pk).update(consent="teaching")
    photo.refresh_from_db()
    assert photo.consent == "record"
    if connection.vendor == "postgresql":  # SQLite: the services refuse deletes (0017)
        with pytest.raises(IntegrityError), transaction.atomic():
            ClinicalPhoto.objects.filter(pk=photo.pk).delete()
        assert ClinicalPhoto.objects.filter(pk=photo.pk).exists()


def test_the_model_refuses_a_photo_of_a_signed_consultation(dermatologist, draft_site):
    sign(draft_site.consultation)
    photo = ClinicalPhoto(site=draft_site, consent="record")
    with pytest.raises(ValidationError, match="signed"):
        photo.clean()


def test_removing_a_draft_site_removes_its_photo_files(
    dermatologist_client, dermatologist, draft_site, django_capture_on_commit_callbacks
):
    make_photo(draft_site, by=dermatologist)
    assert len(stored_files()) == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = dermatologist_client.post(
            f"/sites/{draft_site.pk}/delete/", {"version": draft_site.consultation.version}
        )

    assert response.status_code == 302
    assert ClinicalPhoto.objects.count() == 0
    assert stored_files() == []


# --- Removing a photo taken by mistake ------------------------------------------------------------


def test_a_photo_removed_from_a_draft_loses_its_row_then_both_files_after_commit(
    dermatologist_client, dermatologist, draft_site, django_capture_on_commit_callbacks
):
    kept = make_photo(draft_site, by=dermatologist, data=photo_bytes(color="navy"))
    mistaken = make_photo(draft_site, by=dermatologist)
    kept_files = sorted([kept.image_name, kept.thumbnail_name])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = dermatologist_client.post(f"/photos/{mistaken.pk}/remove/")
        # The files go only once the row's removal is committed.
        assert len(stored_files()) == 4
    assert len(callbacks) == 1

    assert response.status_code == 302
    assert response["Location"] == f"/sites/{draft_site.pk}/photos/"
    assert list(ClinicalPhoto.objects.values_list("pk", flat=True)) == [kept.pk]
    assert stored_files() == kept_files
    page = dermatologist_client.get(response["Location"]).content.decode()
    assert "Photo removed." in page


def test_a_rolled_back_removal_keeps_the_photo_files(
    dermatologist, draft_site, django_capture_on_commit_callbacks
):
    photo = make_photo(draft_site, by=dermatologist)
    photo_pk = photo.pk

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.photo_remove(photo=photo, by=dermatologist)
        raise RuntimeError("something later in the same transaction failed")

    assert callbacks == []
    assert ClinicalPhoto.objects.filter(pk=photo_pk).exists()
    assert len(stored_files()) == 2


def test_removing_a_photo_of_a_signed_consultation_is_refused(
    dermatologist_client, dermatologist, draft_site, django_capture_on_commit_callbacks
):
    photo = make_photo(draft_site, by=dermatologist)
    sign(draft_site.consultation)

    with pytest.raises(services.ConsultationSigned):
        services.photo_remove(photo=photo, by=dermatologist)
    with django_capture_on_commit_callbacks(execute=True):
        response = dermatologist_client.post(f"/photos/{photo.pk}/remove/")

    assert response.status_code == 302
    assert ClinicalPhoto.objects.filter(pk=photo.pk).exists()
    assert len(stored_files()) == 2
    page = dermatologist_client.get(response["Location"]).content.decode()
    assert "signed and can no longer be changed" in page
    assert ">Remove<" not in page


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite: the services refuse deletes (0017)"
)
def test_the_database_refuses_removing_a_photo_of_a_signed_consultation(dermatologist, draft_site):
    photo = make_photo(draft_site, by=dermatologist)
    sign(draft_site.consultation)

    photo_pk = photo.pk

    with pytest.raises(IntegrityError), transaction.atomic():
        photo.delete()  # what the service does, without its check

    assert ClinicalPhoto.objects.filter(pk=photo_pk).exists()


@pytest.mark.parametrize("who", ["anonymous", "clinic staff"])
def test_removing_a_photo_is_refused_to_staff_and_anonymous(client, dermatologist, draft_site, who):
    photo = make_photo(draft_site, by=dermatologist)
    if who == "clinic staff":
        staff = make_user("photo.staff", roles.CLINIC_STAFF)
        client.force_login(staff)
        with pytest.raises(PermissionDenied):
            services.photo_remove(photo=photo, by=staff)

    response = client.post(f"/photos/{photo.pk}/remove/")

    assert response.status_code == (302 if who == "anonymous" else 403)
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    assert ClinicalPhoto.objects.filter(pk=photo.pk).exists()
    assert len(stored_files()) == 2


def test_removing_a_photo_is_audited_as_a_delete_of_the_patients_record(
    dermatologist_client, dermatologist, draft_site
):
    photo = make_photo(draft_site, by=dermatologist)

    dermatologist_client.post(f"/photos/{photo.pk}/remove/")

    event = AuditEvent.objects.get(
        object_type="treatments.clinicalphoto", action=AuditEvent.Action.DELETE
    )
    assert event.object_id == str(photo.pk)
    assert event.patient_id == draft_site.consultation.patient_id
    assert event.actor == dermatologist


def test_only_this_drafts_photos_offer_a_remove_button_and_only_to_a_dermatologist(
    client, dermatologist, staff
):
    patient = make_patient()
    earlier = make_consultation(patient=patient, clinician=dermatologist)
    make_photo(make_site(earlier, location="cheek", side="left"), by=dermatologist)
    sign(earlier)
    later = make_consultation(patient=patient, clinician=dermatologist)
    site = make_site(later, location="cheek", side="left")
    photo = make_photo(site, by=dermatologist)
    taken = timezone.localtime(photo.taken_at).strftime("%-d %b %Y %H:%M")

    client.force_login(dermatologist)
    page = client.get(f"/sites/{site.pk}/photos/").content.decode()
    assert page.count(">Remove<") == 1
    assert f"/photos/{photo.pk}/remove/" in page
    assert f"photo taken {taken}" in page
    client.force_login(staff)
    assert ">Remove<" not in client.get(f"/sites/{site.pk}/photos/").content.decode()


# --- Serving -------------------------------------------------------------------------------------


def test_a_photo_is_served_inline_with_no_store_and_its_true_content_type(
    dermatologist_client, dermatologist, draft_site
):
    photo = make_photo(draft_site, by=dermatologist)

    response = dermatologist_client.get(f"/photos/{photo.pk}/full/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"].split(", ")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="photo-{photo.pk}-full.jpg"'
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == photo.sha256
    thumbnail = dermatologist_client.get(f"/photos/{photo.pk}/thumbnail/")
    assert thumbnail.status_code == 200
    assert dermatologist_client.get(f"/photos/{photo.pk}/original/").status_code == 404


def test_every_view_of_a_photo_writes_an_audit_event(
    dermatologist_client, dermatologist, draft_site
):
    photo = make_photo(draft_site, by=dermatologist)
    views = AuditEvent.objects.filter(
        object_type="treatments.clinicalphoto", action=AuditEvent.Action.VIEW_CONSULTATION
    )

    for expected in (1, 2):
        dermatologist_client.get(f"/photos/{photo.pk}/full/")
        assert views.count() == expected
    dermatologist_client.get(f"/photos/{photo.pk}/thumbnail/")
    assert views.count() == 3
    event = views.latest("id")
    assert event.patient_id == draft_site.consultation.patient_id
    assert event.object_id == str(photo.pk)
    assert event.actor == dermatologist
    assert event.detail == {"size": "thumbnail"}


def test_clinic_staff_may_view_a_photo(staff_client, dermatologist, draft_site):
    photo = make_photo(draft_site, by=dermatologist)
    assert staff_client.get(f"/photos/{photo.pk}/full/").status_code == 200
    # ...but never add one.
    assert upload(staff_client, draft_site, photo_bytes(), "a.jpg").status_code == 403


@pytest.mark.parametrize("who", ["anonymous", "clinic admin"])
def test_fetching_a_photo_anonymously_or_as_the_clinic_admin_is_refused_unaudited(
    client, dermatologist, draft_site, who
):
    photo = make_photo(draft_site, by=dermatologist)
    if who == "clinic admin":
        client.force_login(make_user("photo.admin", roles.CLINIC_ADMIN, is_staff=True))

    response = client.get(f"/photos/{photo.pk}/full/")

    assert response.status_code == (302 if who == "anonymous" else 403)
    assert not hasattr(response, "streaming_content")
    assert not AuditEvent.objects.filter(
        object_type="treatments.clinicalphoto", action=AuditEvent.Action.VIEW_CONSULTATION
    ).exists()


def test_photos_live_outside_every_folder_the_web_server_serves(settings):
    from milia_clinic import settings as project_settings

    location = photo_storage_setting({})["OPTIONS"]["location"]
    for served in (
        project_settings.STATIC_ROOT,
        project_settings.WHITENOISE_ROOT,
        *project_settings.STATICFILES_DIRS,
    ):
        assert not location.startswith(str(served))
    # No MEDIA_ROOT is set: Django serves no uploaded files of its own.
    assert not hasattr(project_settings, "MEDIA_ROOT")


def test_photo_storage_is_s3_by_configuration():
    s3 = photo_storage_setting(
        {"MILIA_PHOTO_STORAGE": "s3", "MILIA_PHOTO_S3_BUCKET": "clinic-photos"}
    )
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"]["bucket_name"] == "clinic-photos"
    assert s3["OPTIONS"]["default_acl"] == "private"
    local = photo_storage_setting({"MILIA_PHOTO_ROOT": "/srv/milia/photos"})
    assert local["OPTIONS"]["location"] == "/srv/milia/photos"
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="MILIA_PHOTO_STORAGE"):
        photo_storage_setting({"MILIA_PHOTO_STORAGE": "ftp"})


# --- Before and after ----------------------------------------------------------------------------


def test_before_and_after_shows_the_site_across_visits_oldest_first(
    dermatologist_client, dermatologist
):
    patient = make_patient()
    first = make_consultation(patient=patient, clinician=dermatologist, date=datetime(2026, 1, 5))
    first_site = make_site(first, location="cheek", side="left")
    make_photo(first_site, by=dermatologist, consent="teaching")
    sign(first)
    later = make_consultation(patient=patient, clinician=dermatologist, date=datetime(2026, 4, 2))
    later_site = make_site(later, location="cheek", side="left")
    make_photo(later_site, by=dermatologist)
    # Another site of the same visit and the same site of another patient: not shown.
    make_photo(make_site(later, location="chin", side="midline"), by=dermatologist)
    other = make_consultation(clinician=dermatologist)
    make_photo(make_site(other, location="cheek", side="left"), by=dermatologist)

    page = dermatologist_client.get(f"/sites/{later_site.pk}/photos/").content.decode()

    shown = [p.pk for p in ClinicalPhoto.objects.filter(site__consultation__patient=patient)]
    assert page.count('class="photo-frame"') == 2
    assert page.index("Visit of 5 Jan 2026") < page.index("Visit of 2 Apr 2026")
    assert f"/photos/{shown[0]}/full/" in page and f"/photos/{shown[1]}/full/" in page
    assert "Clinical record and teaching" in page and "Clinical record only" in page
    assert "Upload photo" in page  # the later visit is a draft


def test_the_patient_page_links_each_photographed_site(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    site = make_site(consultation, location="nose", side="midline")
    make_photo(site, by=dermatologist)
    make_photo(site, by=dermatologist)

    page = dermatologist_client.get(f"/patients/{consultation.patient_id}/").content.decode()

    assert f"/sites/{site.pk}/photos/" in page
    assert "2 photos" in page
