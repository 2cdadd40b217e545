"""Project owners' work on their own machine: config files, the pre-flight check, exports.

Modules: `config_io` (project files; re-exported here, light to import), `check` (pre-flight
check of a config against a dataset), `geometry` (grids from NIfTI headers), `export` (reviews
as CSV/JSON and edited masks as NIfTI). The last three load the imaging stack when imported.

    project = read_project_file("layout.json")        # ProjectFile, validated (ConfigError)
    write_project_file("layout.json", project)         # atomic: the old file or the new one
    report = check.check_dataset(project.config, ds)   # CheckReport: what each case lacks
    export.write_review_exports(rows, out_dir, dataset=ds, map_names=True)  # names mapped here
    export.write_edited_masks(rows, ds, masks_dir)     # NIfTI on each source mask's geometry
"""

from naesview_app.project.config_io import (
    PROJECT_FILE_FORMAT,
    ProjectFile,
    decode_project_file,
    encode_project_file,
    read_project_file,
    write_project_file,
)

__all__ = [
    "PROJECT_FILE_FORMAT",
    "ProjectFile",
    "decode_project_file",
    "encode_project_file",
    "read_project_file",
    "write_project_file",
]
