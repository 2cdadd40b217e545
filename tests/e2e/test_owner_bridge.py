"""The owner's bridge methods on the real app (`naesview app --browser`) and a real sync server,
called over HTTP as the page calls them: bad input gives one clear line and changes nothing."""

from __future__ import annotations

import base64
import csv
import io
import json
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from naesview_app.project import read_project_file
from naesview_app.sync import NotFound
from naesview_app.sync.client import new_review_uuid
from naesview_wire import Review
from tests.e2e.conftest import BrowserApp, start_browser_app
from tests.e2e.helpers import EXAMPLES, MINI, SHARED
from tests.sync_server import SignedInUser, SyncServer


@pytest.fixture
def owner_app(server: SyncServer, tmp_path: Path) -> Iterator[tuple[BrowserApp, SignedInUser]]:
    owner = server.new_user("owner")
    with start_browser_app(tmp_path / "home") as app:
        signed = app.call(
            "sign_in",
            {
                "server": server.base_url,
                "username": owner.user.username,
                "password": owner.password,
            },
        )
        assert signed["role"] == "owner"
        yield app, owner


def draft(name: str = "prostate-review.json") -> dict:
    project = read_project_file(EXAMPLES / name)
    return {
        "title": project.title,
        "short_description": project.short_description,
        "instructions_md": project.instructions_md,
        "config": json.loads(json.dumps(_builtins(project.config))),
        "thumbnail": None,
    }


def _builtins(value):
    import msgspec

    return msgspec.to_builtins(value)


def error(result: dict) -> tuple[str, str]:
    assert "error" in result, result
    message = result["error"]["message"]
    assert "\n" not in message
    assert "Traceback" not in message
    return result["error"]["code"], message


def test_bad_inputs_are_refused_and_nothing_is_created(owner_app, tmp_path: Path) -> None:
    app, owner = owner_app
    code, message = error(app.call("owner_check", {"config": draft()["config"]}))
    assert code == "dataset"
    assert "open your dataset" in message
    code, message = error(app.call("owner_publish", {"project": draft()}))
    assert code == "dataset"

    opened = app.call("owner_open_dataset", {"path": str(MINI)})
    assert opened["case_count"] == 4
    assert opened["cases"] == ["case1", "case2", "case3", "case10"]
    assert {"name": "sub/prediction.nii", "cases": 1} in opened["volumes"]

    broken = draft()
    broken["config"]["answers"][1]["key"] = 1
    code, message = error(app.call("owner_publish", {"project": broken}))
    assert code == "config"
    assert "answer key 1 is used more than once" in message
    untitled = {**draft(), "title": "  "}
    code, message = error(app.call("owner_publish", {"project": untitled}))
    assert "a title is needed" in message
    not_image = "data:image/png;base64," + base64.b64encode(b"plain text").decode()
    code, message = error(
        app.call("owner_publish", {"project": {**draft(), "thumbnail": not_image}})
    )
    assert "not a PNG or JPEG image" in message
    code, message = error(app.call("owner_thumbnail", {"data_url": not_image}))
    assert code == "config"
    assert owner.client.list_projects() == []  # nothing half-way

    code, message = error(app.call("owner_import_config", {"text": "{", "name": "x.json"}))
    assert message.startswith("x.json: not valid JSON")
    code, message = error(
        app.call("owner_export_config", {"path": str(tmp_path), "project": broken})
    )
    assert "answer key 1" in message
    assert list(tmp_path.glob("*.json")) == []


def test_publish_edit_status_members_and_exports(
    owner_app, server: SyncServer, tmp_path: Path
) -> None:
    app, _ = owner_app
    app.call("owner_open_dataset", {"path": str(MINI)})
    report = app.call("owner_check", {"config": draft()["config"]})
    assert report["ok"] is True
    assert report["complete_count"] == 4
    preview = app.call("owner_preview", {"config": draft()["config"], "case_id": 3})
    assert preview["case_name"] == "case10"
    assert [v["name"] for v in preview["volumes"]] == ["image.nii.gz", "mask.nii.gz"]
    assert [v["is_mask"] for v in preview["volumes"]] == [False, True]

    made = app.call("owner_publish", {"project": draft(), "status": "draft"})
    project_id = made["id"]
    assert (made["status"], made["config_version"], made["case_count"]) == ("draft", 1, 4)

    same = app.call("owner_update", {"project_id": project_id, "project": draft()})
    assert same["changes"] == ["nothing changed"]
    assert same["config_version"] == 1
    edited = draft()
    edited["config"]["comment"] = "required"
    edited["title"] = "Prostate v2"
    changed = app.call("owner_update", {"project_id": project_id, "project": edited})
    assert changed["config_version"] == 2
    assert changed["changes"] == [
        "title: “Prostate segmentation review” → “Prostate v2”",
        "config version 1 → 2:",
        "comment: optional → required",
    ]
    assert app.call("owner_set_status", {"project_id": project_id, "status": "open"})["status"] == (
        "open"
    )

    invited = app.call("owner_invite", {"project_id": project_id, "expires_in_hours": 2})
    code = invited["invitation"]["code"]
    assert [
        i["code"] for i in app.call("owner_invitations", {"project_id": project_id})["invitations"]
    ] == [code]
    app.restart()  # the codes made here are still listed after a restart
    (kept,) = app.call("owner_invitations", {"project_id": project_id})["invitations"]
    assert (kept["code"], kept["expired"]) == (code, False)
    # A revoked code disappears from the list and can no longer join.
    doomed = app.call("owner_invite", {"project_id": project_id, "expires_in_hours": 2})
    doomed_code = doomed["invitation"]["code"]
    left = app.call("owner_revoke_invitation", {"project_id": project_id, "code": doomed_code})
    assert [i["code"] for i in left["invitations"]] == [code]
    with pytest.raises(NotFound):
        server.new_user("reviewer").client.accept_invitation(doomed_code)
    app.call("owner_open_dataset", {"path": str(MINI)})
    expires = datetime.fromisoformat(invited["invitation"]["expires"])
    assert 1.9 * 3600 < (expires - datetime.now(UTC)).total_seconds() <= 2 * 3600

    reviewer = server.new_user("reviewer")
    reviewer.client.accept_invitation(code)
    for case_id, answer in ((3, "acceptable"), (1, "needs-refinement")):
        reviewer.client.submit_review(
            Review(
                uuid=new_review_uuid(),
                project_id=project_id,
                config_version=2,
                case_id=case_id,
                answer=answer,
                comment="=HYPERLINK(1)" if case_id == 1 else "fine",
                created=datetime.now(UTC),
            )
        )
    (member,) = app.call("owner_members", {"project_id": project_id})["members"]
    assert (member["username"], member["done"], member["total"]) == (
        reviewer.user.username,
        2,
        4,
    )

    plain = app.call("owner_export_reviews", {"project_id": project_id, "folder": str(tmp_path)})
    rows = list(csv.DictReader(io.StringIO(Path(plain["csv_path"]).read_text())))
    assert [(r["case_id"], r["answer"], r["comment"]) for r in rows] == [
        ("1", "needs-refinement", "'=HYPERLINK(1)"),
        ("3", "acceptable", "fine"),
    ]
    assert plain["warnings"] == []
    named = app.call(
        "owner_export_reviews",
        {"project_id": project_id, "folder": str(tmp_path), "map_names": True},
    )
    body = json.loads(Path(named["json_path"]).read_text())
    assert [(r["case_name"], r["answer"]) for r in body["reviews"]] == [
        ("case2", "needs-refinement"),
        ("case10", "acceptable"),
    ]

    # another dataset: names cannot be mapped (ids beyond it), and nothing is written
    other = tmp_path / "other"
    other.mkdir()
    app.call("owner_open_dataset", {"path": str(SHARED / "png_jpeg.zip")})
    code, message = error(
        app.call(
            "owner_export_reviews",
            {"project_id": project_id, "folder": str(other), "map_names": True},
        )
    )
    assert "has only 2 cases" in message
    assert list(other.iterdir()) == []
    # a dataset with enough cases but other files: exported, with a warning
    app.call("owner_open_dataset", {"path": str(SHARED / "tiny_ct_many.zip")})
    warned = app.call(
        "owner_export_reviews", {"project_id": project_id, "folder": str(other), "map_names": True}
    )
    (warning,) = warned["warnings"]
    assert "tiny_ct_many.zip is not the one this project was made with" in warning


def test_a_mask_edited_in_the_reviewers_app_is_exported_on_the_source_grid(
    owner_app, server: SyncServer, tmp_path: Path
) -> None:
    import httpx
    import numpy as np

    from naesview_app.datasets.readers.nifti import read_nifti

    app, _ = owner_app
    app.call("owner_open_dataset", {"path": str(MINI)})
    project_id = app.call("owner_publish", {"project": draft(), "status": "open"})["id"]
    code = app.call("owner_invite", {"project_id": project_id})["invitation"]["code"]

    reviewer = server.new_user("reviewer")
    with start_browser_app(tmp_path / "reviewer") as their:
        their.call(
            "sign_in",
            {
                "server": server.base_url,
                "username": reviewer.user.username,
                "password": reviewer.password,
            },
        )
        assert their.call("join_project", {"code": code})["project_id"] == project_id
        their.call("open_dataset", {"project_id": project_id, "path": str(MINI)})
        case = their.call("load_case", {"index": 0})
        mask = next(v for v in case["volumes"] if v["name"] == "mask.nii.gz")
        assert mask["editable"] is True
        headers = {"X-Naesview-Token": their.token}
        original = np.frombuffer(
            httpx.get(mask["url"], headers=headers, timeout=30).content, dtype=np.uint8
        ).reshape(mask["shape"])
        edited = original.copy()
        edited[:2, :3, :4] = 1  # painted
        edited[mask["shape"][0] // 2] = 0  # erased
        put = httpx.put(
            mask["url"].replace("/voxels/", "/masks/"),
            content=edited.tobytes(),
            headers=headers,
            timeout=30,
        )
        assert put.status_code == 204
        their.call(
            "submit_review",
            {
                "index": 0,
                "answer": "needs-refinement",
                "masks": [{"volume": "mask.nii.gz", "handle": mask["handle"]}],
            },
        )
        deadline = time.monotonic() + 20
        while their.call("sync_status")["synced"] < 1:
            assert time.monotonic() < deadline, "the review did not reach the server"
            time.sleep(0.2)

    out = tmp_path / "export"
    out.mkdir()
    result = app.call(
        "owner_export_reviews",
        {"project_id": project_id, "folder": str(out), "map_names": True, "masks": True},
    )
    name = f"case1_{reviewer.user.username}_r1.nii.gz"
    assert result["masks"]["written"] == [name]
    assert result["masks"]["problems"] == []
    written = Path(result["masks"]["folder"]) / name
    back = read_nifti(written.read_bytes())  # canonical again, through the app's own reader
    assert np.array_equal(back.array, edited)
    with zipfile.ZipFile(MINI) as archive:
        source = read_nifti(archive.read("case1/mask.nii.gz"))
    assert (back.spacing, back.origin, back.direction) == (
        source.spacing,
        source.origin,
        source.direction,
    )
