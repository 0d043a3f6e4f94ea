"""The privacy state every view observes, and the rules about what it hides."""

from app.core.observable import Event
from app.services.privacy import (
    HIDDEN_TEXT,
    Privacy,
    hides_attribute,
    may_show_name_in_pixels,
)


def test_changed_fires_once_per_real_change() -> None:
    privacy = Privacy()
    seen: list[bool] = []
    privacy.changed.connect(seen.append)
    privacy.set_hidden(False)
    privacy.toggle()
    privacy.set_hidden(True)
    privacy.toggle()
    assert seen == [True, False]


def test_show_masks_only_when_hidden_and_keeps_empty_values_empty() -> None:
    privacy = Privacy()
    assert privacy.show("DOE^JANE") == "DOE^JANE"
    privacy.set_hidden(True)
    assert privacy.show("DOE^JANE") == HIDDEN_TEXT
    assert privacy.show("") == ""


def test_every_direct_identifier_and_every_person_name_is_masked() -> None:
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "AccessionNumber",
                    "InstitutionName", "ReferringPhysicianName", "OtherPatientIDs"):
        assert hides_attribute(keyword), keyword
    assert hides_attribute("SomeVendorsReviewerName", "PN")
    assert not hides_attribute("Modality", "CS")
    privacy = Privacy(hidden=True)
    assert privacy.show_attribute("AccessionNumber", "SH", "A123") == HIDDEN_TEXT
    assert privacy.show_attribute("Rows", "US", "512") == "512"


def test_title_never_carries_the_name_when_hidden() -> None:
    privacy = Privacy()
    assert privacy.title("DOE^JANE", "Disc") == "Lightbox — DOE^JANE"
    privacy.set_hidden(True)
    assert "DOE" not in privacy.title("DOE^JANE", "Disc")
    assert privacy.title("", "") == "Lightbox"


def test_burned_in_names_are_expected_on_camera_and_capture_images() -> None:
    for modality in ("US", "SC", "OT", "XC", " us "):
        assert may_show_name_in_pixels(modality)
    assert not may_show_name_in_pixels("CT")
    assert may_show_name_in_pixels("CT", "YES")
    assert not may_show_name_in_pixels("MR", "NO")


def test_event_disconnect_and_self_disconnect() -> None:
    event: Event[int] = Event()
    seen: list[int] = []
    disconnect_self: list[object] = []

    def once(value: int) -> None:
        seen.append(value)
        disconnect = disconnect_self[0]
        assert callable(disconnect)
        disconnect()

    disconnect_self.append(event.connect(once))
    other = event.connect(lambda v: seen.append(v * 10))
    event.emit(1)
    event.emit(2)
    other()
    event.emit(3)
    assert seen == [1, 10, 20]
