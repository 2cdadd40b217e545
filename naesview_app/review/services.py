"""What the Bridge's methods do: account, projects, dataset, cases, answers, sync status.

`ReviewApp` holds the state of one launch (signed-in client, open dataset, review session,
outbox syncer) and returns the Structs of `messages`. It never sees a window or HTTP request.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from pathlib import Path

import msgspec

from naesview_app import __version__
from naesview_app.config import (
    AppPaths,
    StoredSession,
    delete_session,
    load_session,
    remember_dataset,
    remembered_dataset,
    save_session,
)
from naesview_app.datasets import Dataset, open_dataset
from naesview_app.errors import DatasetError, NaesviewError
from naesview_app.imaging.volume import Volume
from naesview_app.local_server import VoxelStore
from naesview_app.review import messages as m
from naesview_app.review.account import (
    WRONG_CURRENT,
    PasswordRules,
    RegisteredNotSignedIn,
    SignInNotice,
    UsernameTaken,
    WrongPassword,
    could_be_a_password,
    password_problem,
    registration_problem,
)
from naesview_app.review.outbox import Account, Answer, Outbox, OutboxSyncer
from naesview_app.review.session import LoadedCase, ProjectRef, ReviewSession, check_dataset
from naesview_app.review.timing import ProgressInfo
from naesview_app.sync.client import SyncClient
from naesview_app.sync.errors import Conflict, Forbidden, HTTPStatusSyncError, SignedOut
from naesview_wire import RegisterWithInvitation

ClientFactory = Callable[..., SyncClient]
MAX_MISSING_LISTED = 200


class NotSignedIn(NaesviewError):
    code = "signed_out"


def is_rejection(exc: BaseException) -> bool:
    """A review the server refused for good (kept locally, not retried): 4xx but 401/408/429.

    401 means the token ran out: the review waits until the reviewer signs in again.
    """
    status = getattr(exc, "status", None)
    return (
        isinstance(exc, HTTPStatusSyncError)
        and status is not None
        and 400 <= status < 500
        and status not in (401, 408, 429)
    )


class ReviewApp:
    def __init__(
        self,
        *,
        paths: AppPaths,
        voxels: VoxelStore,
        mode: str,
        client_factory: ClientFactory = SyncClient,
        choose_file: Callable[[], str | None] | None = None,
        start: m.StartHint | None = None,
        sync_min_delay: float = 0.5,
        sync_max_delay: float = 30.0,
    ) -> None:
        self.paths = paths
        self.voxels = voxels
        self.mode = mode
        self.voxel_base = ""
        self.token = ""
        self.start = start
        self.choose_file = choose_file
        self._client_factory = client_factory
        self._lock = threading.RLock()
        self._outbox = Outbox(paths.outbox_file)
        self._syncer = OutboxSyncer(
            self._outbox, self._send_failed, min_delay=sync_min_delay, max_delay=sync_max_delay
        )
        self._stored: StoredSession | None = None
        self._client: SyncClient | None = None
        self._sync_client: SyncClient | None = None  # its own: httpx clients are not shared
        self._dataset: Dataset | None = None
        self._session: ReviewSession | None = None
        self._projects: dict[int, ProjectRef] = {}
        self._notice: str | None = None  # why the server ended the session (sign-in form)
        stored = load_session(paths)
        if stored is not None:
            self._use(stored)

    # -- account -------------------------------------------------------------------------

    def app_info(self) -> m.AppInfo:
        with self._lock:
            stored = self._stored
        return m.AppInfo(
            version=__version__,
            mode="window" if self.mode == "window" else "browser",
            voxel_base=self.voxel_base,
            token=self.token,
            signed_in=_account(stored) if stored else None,
            start=self.start,
        )

    def sign_in(self, server: str, username: str, password: str) -> m.Account:
        server = normalise_server(server)
        client = self._client_factory(server)
        try:
            session = client.sign_in(username, password)
        finally:
            client.close()
        stored = StoredSession.of(server, session)
        save_session(self.paths, stored)
        self._use(stored)
        with self._lock:
            self._notice = None
        return _account(stored)

    def register(
        self, server: str, code: str, username: str, display_name: str, password: str
    ) -> m.Account:
        """Create a reviewer account with an owner's invitation code (the server adds it to the
        code's project), then sign in with it like `sign_in`."""
        code, username, display_name = code.strip(), username.strip(), display_name.strip()
        registration_problem(code, username, display_name, password)
        server = normalise_server(server)
        registration = RegisterWithInvitation(
            code=code, username=username, password=password, display_name=display_name or username
        )
        client = self._client_factory(server)
        try:
            client.register_with_invitation(registration)
        except Conflict as exc:  # the only 409 of POST /invitations/register
            raise UsernameTaken(exc.message) from exc
        finally:
            client.close()
        try:
            return self.sign_in(server, username, password)
        except NaesviewError as exc:
            raise RegisteredNotSignedIn(
                f"your account `{username}` was created, but signing in failed ({exc}); "
                "sign in with it"
            ) from exc

    def sign_out(self) -> None:
        with self._lock:
            client = self._client
            self._close_session()
            self._stored = None
            self._client = None
            self._notice = None
            old_sync, self._sync_client = self._sync_client, None
        self._syncer.use(None, None)
        delete_session(self.paths)
        if old_sync is not None:
            old_sync.close()
        if client is not None:
            try:
                client.sign_out()  # revoke the token on the server when it is reachable
            except NaesviewError:
                pass  # offline: the local token is gone anyway, and it expires on the server
            finally:
                client.close()

    def change_password(self, old_password: str, new_password: str) -> None:
        """Change the signed-in user's password on the server. The server revokes the user's
        other tokens and keeps this one, so the stored session (and the outbox's sending) goes on.
        """
        problem = password_problem(new_password)
        if problem is not None:
            raise PasswordRules(problem)
        client = self._require_client()
        if not could_be_a_password(old_password):
            raise WrongPassword(WRONG_CURRENT)  # the server would answer 400, not "wrong"
        try:
            client.change_password(old_password, new_password)
        except Forbidden as exc:  # the only 403 of POST /auth/password
            raise WrongPassword(exc.message) from exc

    def session_refused(self, message: str) -> None:
        """The server answered 401 to this session's token (revoked, expired, account
        disabled): keep its reason for the sign-in form."""
        with self._lock:
            self._notice = message

    def sign_in_notice(self) -> SignInNotice:
        with self._lock:
            return SignInNotice(message=self._notice)

    # -- projects ------------------------------------------------------------------------

    def list_projects(self) -> m.ProjectList:
        client = self._require_client()
        items = [
            m.ProjectItem(
                id=p.id,
                title=p.public.title,
                short_description=p.public.short_description,
                thumbnail=_data_url(p.public.thumbnail),
                status=p.status,
                role=p.role,
                done=p.done,
                total=p.case_count,
            )
            for p in client.list_projects()
        ]
        return m.ProjectList(projects=items)

    def join_project(self, code: str) -> m.Joined:
        summary = self._require_client().accept_invitation(code.strip())
        return m.Joined(project_id=summary.id, title=summary.public.title)

    def open_project(self, project_id: int) -> m.ProjectOpened:
        client = self._require_client()
        detail = client.get_project(project_id)
        ref = ProjectRef(
            project_id=detail.id,
            config_version=detail.config.version,
            config=detail.config.config,
            fingerprint=detail.fingerprint,
            case_count=detail.case_count,
        )
        with self._lock:
            self._projects[detail.id] = ref
            server = self._stored.server if self._stored else ""
        return m.ProjectOpened(
            id=detail.id,
            title=detail.public.title,
            instructions_md=detail.private.instructions_md,
            config=msgspec.to_builtins(detail.config.config),
            config_version=detail.config.version,
            fingerprint=detail.fingerprint,
            case_count=detail.case_count,
            dataset_path=remembered_dataset(self.paths, server, detail.id),
        )

    # -- dataset -------------------------------------------------------------------------

    def choose_dataset(self) -> m.Chosen:
        if self.choose_file is None:
            return m.Chosen(path=None, browse=False)
        return m.Chosen(path=self.choose_file(), browse=True)

    def open_dataset(self, project_id: int, path: str) -> m.DatasetOpened:
        client = self._require_client()
        with self._lock:
            project = self._projects.get(project_id)
            stored = self._stored
        if project is None:
            self.open_project(project_id)
            with self._lock:
                project = self._projects[project_id]
        assert stored is not None
        zip_path = Path(path).expanduser()
        if not zip_path.is_file():
            raise DatasetError(f"dataset {path}: no such file; choose the project's dataset .zip")
        dataset = open_dataset(zip_path)
        account = Account(stored.server, stored.user_id)
        try:
            known = _server_answers(client, project_id, stored.user_id)
            check = check_dataset(dataset, project)
            session = ReviewSession(
                project=project,
                dataset=dataset,
                account=account,
                outbox=self._outbox,
                known_answers=known,
                on_saved=self._syncer.notify,
            )
        except BaseException:
            dataset.close()
            raise
        with self._lock:
            self._close_session()
            self._dataset, self._session = dataset, session
        remember_dataset(self.paths, stored.server, project_id, str(zip_path.resolve()))
        return m.DatasetOpened(
            case_count=session.total,
            dataset_cases=check.dataset_cases,
            fingerprint_matches=check.fingerprint_matches,
            missing=[
                m.Missing(case_id=x.case_id, case_name=x.case_name, volumes=x.volumes)
                for x in check.missing[:MAX_MISSING_LISTED]
            ],
            missing_count=len(check.missing),
            resume_index=session.resume_position(),
            progress=_progress(session.progress()),
        )

    # -- cases ---------------------------------------------------------------------------

    def load_case(self, index: int, *, show: bool = True) -> m.CaseLoaded:
        session = self._require_session()
        case = session.load(index, show=show)
        volumes = volume_infos(session, case, self.voxels, self.voxel_base)
        answer = case.answer
        return m.CaseLoaded(
            index=case.position,
            case_id=case.case_id,
            case_name=case.case_name,
            label_parts=case.label_parts,
            position=m.Position(n=case.position + 1, total=case.total),
            volumes=volumes,
            problems=case.problems,
            review=m.SavedAnswer(answer=answer.answer, comment=answer.comment, synced=answer.synced)
            if answer
            else None,
            progress=_progress(session.progress()),
        )

    def prefetch(self, indices: list[int]) -> None:
        self._require_session().prefetch(indices)

    def set_visible(self, visible: bool) -> None:
        with self._lock:
            session = self._session
        if session is not None:
            session.set_visible(visible)

    def submit_review(
        self, index: int, answer: str, comment: str | None, masks: list[m.MaskRef]
    ) -> m.Submitted:
        session = self._require_session()
        edited = {}
        for ref in masks:
            array = self.voxels.take_edit(ref.handle)
            if array is None:
                raise NaesviewError(
                    f"edited mask `{ref.volume}` was not received; edit it again, then submit"
                )
            edited[ref.volume] = array
        next_index = session.submit(index, answer, comment, edited)
        return m.Submitted(
            saved=True,
            next_index=next_index,
            progress=_progress(session.progress()),
            sync=self.sync_status(),
        )

    def sync_status(self) -> m.SyncStatus:
        state = self._syncer.state()
        with self._lock:
            refused = self._notice is not None
        if state.pending and state.online is False and refused:
            label = f"{state.pending} waiting — signed out"
        elif state.rejected:
            label = f"{state.rejected} refused by the server"
        elif state.pending:
            label = f"saved locally · {state.pending} waiting"
        else:
            label = "synced"
        return m.SyncStatus(
            pending=state.pending,
            synced=state.synced,
            rejected=state.rejected,
            last_error=state.last_error,
            online=state.online,
            label=label,
        )

    def _send_failed(self, exc: BaseException) -> bool:
        """The syncer's question about a review it could not send: refused for good? A 401 is
        not (the review waits for the next sign-in), but it means the server signed this session
        out: its reason is kept for the review screen's banner and the sign-in form."""
        if isinstance(exc, SignedOut):
            self.session_refused(" ".join(str(exc).split()) or "signed out")
        return is_rejection(exc)

    def wait_synced(self, timeout: float) -> bool:
        return self._syncer.wait_idle(timeout)

    def close(self) -> None:
        with self._lock:
            self._close_session()
            clients = [c for c in (self._client, self._sync_client) if c is not None]
        self._syncer.stop()
        for client in clients:
            client.close()
        self._outbox.close()

    # -- internals -----------------------------------------------------------------------

    def _use(self, stored: StoredSession) -> None:
        client = self._client_factory(stored.server, token=stored.token)
        sync_client = self._client_factory(stored.server, token=stored.token, retries=0)
        with self._lock:
            old = [c for c in (self._client, self._sync_client) if c is not None]
            self._close_session()
            self._stored, self._client, self._sync_client = stored, client, sync_client
            self._projects.clear()
        self._syncer.use(Account(stored.server, stored.user_id), sync_client)
        for c in old:
            c.close()

    def _require_client(self) -> SyncClient:
        with self._lock:
            if self._client is None:
                raise NotSignedIn("not signed in; sign in to your sync server first")
            return self._client

    def _require_session(self) -> ReviewSession:
        with self._lock:
            if self._session is None:
                raise NaesviewError("no dataset open; open a project and choose its dataset first")
            return self._session

    def _close_session(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._dataset is not None:
            self._dataset.close()
        self._session = self._dataset = None


def normalise_server(server: str) -> str:
    server = server.strip().rstrip("/")
    if "://" not in server:
        server = "http://" + server
    return server


def _account(stored: StoredSession) -> m.Account:
    return m.Account(
        server=stored.server,
        username=stored.username,
        display_name=stored.display_name or stored.username,
        role=stored.role,
    )


def _progress(info: ProgressInfo) -> m.ProgressInfo:
    return m.ProgressInfo(done=info.done, total=info.total, seconds_left=info.seconds_left)


def _data_url(image: bytes | None) -> str | None:
    if not image:
        return None
    kind = "png" if image.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(image).decode()}"


def _server_answers(client: SyncClient, project_id: int, user_id: int) -> dict[int, Answer]:
    """The reviewer's current answers as the server has them (empty when it is unreachable:
    the outbox still knows everything answered on this machine)."""
    try:
        records = client.list_reviews(project_id, reviewer_id=user_id)
    except SignedOut:
        raise
    except NaesviewError:
        return {}
    return {
        r.review.case_id: Answer(r.review.answer, r.review.comment, synced=True)
        for r in records
        if r.current
    }


def volume_infos(
    session: ReviewSession, case: LoadedCase, voxels: VoxelStore, voxel_base: str
) -> list[m.VolumeInfo]:
    """Register a loaded case's layers with the voxel store and describe them for the UI.

    A mask the reviewer saved an edit of is served with that edit under the layer's handle, and
    the project's own mask under `original_url` (what the brush measures and resets against)."""
    brush = session.project.config.brush
    infos = []
    for layer in case.volumes.layers.values():
        editable = brush is not None and brush.volume == layer.name
        key = (session.dataset.fingerprint, case.case_id, layer.name)
        saved = case.edits.get(layer.name)
        original_url = None
        if saved is None:
            handle = voxels.register(
                key, layer.volume.array, editable=editable, growing=layer.growing
            )
        else:
            handle = voxels.register(key, saved.shown, editable=editable)
            original = voxels.register(
                (*key, "original"), layer.volume.array, growing=layer.growing
            )
            original_url = f"{voxel_base}/voxels/{original}"
        infos.append(
            describe_volume(
                voxels,
                voxel_base,
                handle,
                layer.volume,
                name=layer.name,
                is_mask=layer.is_mask,
                editable=editable,
                window=layer.window,
                streaming=saved is None and layer.growing is not None and not layer.growing.done,
                original_url=original_url,
            )
        )
    return infos


def describe_volume(
    voxels: VoxelStore,
    voxel_base: str,
    handle: str,
    volume: Volume,
    *,
    name: str,
    is_mask: bool,
    editable: bool,
    window: tuple[float, float],
    streaming: bool = False,
    original_url: str | None = None,
) -> m.VolumeInfo:
    """What the UI is told of a volume registered under `handle` (review and owner preview)."""
    array = voxels.get(handle)
    assert array is not None
    return m.VolumeInfo(
        name=name,
        url=f"{voxel_base}/voxels/{handle}",
        handle=handle,
        shape=list(volume.shape),
        spacing=[float(s) for s in volume.spacing],
        dtype=array.dtype.name,
        slope=float(volume.slope),
        intercept=float(volume.intercept),
        is_mask=is_mask,
        editable=editable,
        window=m.Window(center=window[0], width=window[1]),
        streaming=streaming,
        first_z=volume.shape[0] - 1 if 0 in volume.reorientation.flips else 0,
        original_url=original_url,
    )
