"""The study tree: no phantom patients, no series mixing another's images."""

from app.core.models import InstanceRef, build_tree


def _ref(sop: str, **values: object) -> InstanceRef:
    base: dict[str, object] = {
        "path": sop, "sop_instance_uid": sop, "patient_id": "P1", "patient_name": "DOE^JANE",
        "study_instance_uid": "1.2", "series_instance_uid": "1.2.3", "modality": "CT",
    }
    base.update(values)
    return InstanceRef(**base)  # type: ignore[arg-type]


def test_images_without_any_patient_are_marked_unattributed_and_sort_last() -> None:
    tree = build_tree([
        _ref("a", patient_id="", patient_name=""),
        _ref("b", patient_name="ZZZ^LAST"),
        _ref("c", patient_id="", patient_name="AAA"),
    ])
    assert [p.unattributed for p in tree] == [False, False, True]
    assert tree[-1].studies[0].instance_count == 1
    # A patient known only by name (or only by ID) is still a patient.
    assert tree[0].patient_name == "AAA" and not tree[0].unattributed


def test_series_without_uids_are_not_merged() -> None:
    tree = build_tree([
        _ref("a", series_instance_uid="", series_number=1, series_description="scout"),
        _ref("b", series_instance_uid="", series_number=2, series_description="axial"),
        _ref("c", series_instance_uid="", series_number=2, series_description="axial"),
        _ref("d"),
    ])
    series = tree[0].studies[0].series
    assert sorted(len(s.instances) for s in series) == [1, 1, 2]
    for node in series:
        assert {ref.series_number for ref in node.instances} == {node.series_number}
