"""Project owners' work on their own machine: config files, the pre-flight check, exports.

project = read_project_file("layout.json")          # ProjectFile, validated (ConfigError)
write_project_file("layout.json", project)           # atomic: the old file or the new one
report = check_dataset(project.config, dataset)      # CheckReport: what each case lacks
write_review_exports(export, out_dir, dataset=...)   # CSV + JSON, names mapped only locally
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
