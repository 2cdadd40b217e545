"""msgspec Structs shared by the desktop app, the sync API and the UI (the wire format).

Every Struct is frozen, keyword-only and refuses unknown fields (`naesview_wire.base`).
Modules: `config` (ProjectConfig and its validation), `project` (public/private parts, versions,
summaries), `accounts` (users, sessions, invitations), `review` (reviews, masks, exports).
Encode with `msgspec.json.encode`, decode with `msgspec.json.decode(data, type=...)`.
"""

from naesview_wire.accounts import (
    AcceptInvitation,
    Account,
    Invitation,
    InvitationCreate,
    Member,
    PasswordChange,
    PasswordReset,
    RegisterWithInvitation,
    Role,
    Session,
    SignIn,
    User,
    UserCreate,
)
from naesview_wire.config import (
    CONFIG_FORMAT,
    AnswerOption,
    BrushConfig,
    CaseLabel,
    Layer,
    ProjectConfig,
    Viewport,
    ViewportGrid,
    check_config,
    config_problems,
    config_volumes,
)
from naesview_wire.project import (
    ConfigVersion,
    InvitationPreview,
    Progress,
    ProjectCreate,
    ProjectDetail,
    ProjectPrivate,
    ProjectPublic,
    ProjectStatus,
    ProjectSummary,
    ProjectUpdate,
)
from naesview_wire.review import EditedMask, Export, ExportRow, Review, ReviewRecord, mask_problem

__version__ = "0.1.0"

__all__ = [
    "CONFIG_FORMAT",
    "AcceptInvitation",
    "Account",
    "AnswerOption",
    "BrushConfig",
    "CaseLabel",
    "ConfigVersion",
    "EditedMask",
    "Export",
    "ExportRow",
    "Invitation",
    "InvitationCreate",
    "InvitationPreview",
    "Layer",
    "Member",
    "PasswordChange",
    "PasswordReset",
    "Progress",
    "ProjectConfig",
    "ProjectCreate",
    "ProjectDetail",
    "ProjectPrivate",
    "ProjectPublic",
    "ProjectStatus",
    "ProjectSummary",
    "ProjectUpdate",
    "RegisterWithInvitation",
    "Review",
    "ReviewRecord",
    "Role",
    "Session",
    "SignIn",
    "User",
    "UserCreate",
    "Viewport",
    "ViewportGrid",
    "check_config",
    "config_problems",
    "config_volumes",
    "mask_problem",
]
