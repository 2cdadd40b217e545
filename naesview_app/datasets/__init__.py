"""Dataset zips: cases in natural order, volumes read on demand by one registry of readers.

    with open_dataset("study.zip") as ds:
        for case in ds.cases:                       # natural order; case.id is the index
            for ref in case.volumes:                # ref.name ("image.nii.gz", "T1"), ref.kind
                volume = ds.read_volume(case.id, ref.name)   # canonical LPS [z, y, x]

`docs/datasets.md` describes the data contract as users see it.
"""

from naesview_app.datasets.archive import DEFAULT_MAX_MEMBER_BYTES
from naesview_app.datasets.dataset import Dataset, open_dataset
from naesview_app.datasets.listing import Case, DatasetIssue, IgnoredMember, VolumeIssue, VolumeRef
from naesview_app.datasets.naming import natural_key

__all__ = [
    "DEFAULT_MAX_MEMBER_BYTES",
    "Case",
    "Dataset",
    "DatasetIssue",
    "IgnoredMember",
    "VolumeIssue",
    "VolumeRef",
    "natural_key",
    "open_dataset",
]
