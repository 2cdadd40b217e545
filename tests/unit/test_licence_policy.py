"""No GPL code in the app (decision 0008): not in the app extra, and a bundle build that would
contain some fails with the package named."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from naesview_app import about
from tests.unit.test_about import load_build_module


@pytest.mark.parametrize(
    ("licence", "copyleft"),
    [
        ("GPL V3.0", True),  # pylibjpeg-libjpeg's own words
        ("GPL-3.0-or-later", True),
        ("GNU General Public License v3 (GPLv3)", True),
        ("AGPL-3.0-only", True),
        ("LGPL-2.1-or-later", False),  # PyGObject: bundled as separate, replaceable files
        ("GNU Lesser General Public License v2 or later (LGPLv2+)", False),
        ("MIT OR GPL-2.0-or-later", False),  # a permissive choice exists
        ("MIT License / GNU General Public License v2 (GPLv2)", False),
        ("Apache-2.0", False),
        ("BSD-3-Clause", False),
    ],
)
def test_copyleft_licences_are_recognised(licence: str, copyleft: bool) -> None:
    assert load_build_module("licences").is_copyleft(licence) is copyleft


def test_the_app_extra_pulls_in_no_gpl_package() -> None:
    licences = load_build_module("licences")
    listed = about.about_info().third_party
    names = {p.name.lower() for p in listed}
    assert {"simpleitk", "pydicom", "pyjpegls", "pylibjpeg-openjpeg"} <= names
    assert not names & {"pylibjpeg-libjpeg", "python-gdcm"}
    offending = [f"{p.name} ({p.licence})" for p in listed if licences.is_copyleft(p.licence)]
    assert not offending, f"GPL packages in the app extra: {offending}"


def test_a_bundle_with_gpl_code_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real (installed-looking) GPL distribution among the bundled modules stops the build."""
    site = tmp_path / "site"
    info = site / "gplcodec-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: gplcodec\nVersion: 1.0\nLicense: GPL V3.0\n"
    )
    (info / "top_level.txt").write_text("gplcodec\n")
    (site / "gplcodec.py").write_text("")
    monkeypatch.syspath_prepend(str(site))
    sys.modules.pop("gplcodec", None)
    licences = load_build_module("licences")
    with pytest.raises(licences.CopyleftError) as caught:
        licences.write_third_party({"numpy", "gplcodec"}, tmp_path / "out")
    message = str(caught.value)
    assert "gplcodec 1.0 (GPL V3.0)" in message
    assert "build/bundle_policy.py" in message
    assert not (tmp_path / "out" / about.THIRD_PARTY_JSON).exists()

    # Without it, the same call writes the list.
    listed = licences.write_third_party({"numpy"}, tmp_path / "ok")
    assert [p.name for p in listed] == ["Python", "numpy"]


def test_the_bundle_never_takes_the_gpl_jpeg_plugin() -> None:
    policy = load_build_module("bundle_policy")
    assert {"libjpeg", "_libjpeg"} <= set(policy.EXCLUDED_MODULES)
    assert "libjpeg" not in policy.HIDDEN_IMPORTS
    assert "pylibjpeg-libjpeg" not in policy.METADATA_OF
    assert "naesview_app.datasets.readers.dicom_gdcm" in policy.HIDDEN_IMPORTS
