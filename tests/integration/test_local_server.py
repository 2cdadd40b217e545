"""The loopback server, for real on a free port: token, Host check, loopback-only bind, voxel
bytes of every mini.zip volume, slabs and ranges, edited masks, static files, the bridge."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from naesview_app.datasets import open_dataset
from naesview_app.local_server import LocalServer, VoxelStore

TOKEN = "X-Naesview-Token"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    ui = tmp_path / "ui"
    (ui / "src").mkdir(parents=True)
    (ui / "index.html").write_text("<!doctype html><title>naesView</title>")
    (ui / "src" / "app.js").write_text("export const x = 1;")
    (tmp_path / "secret.txt").write_text("outside the ui folder")
    calls: list[tuple[str, object]] = []

    def bridge_call(method: str, args: object) -> object:
        calls.append((method, args))
        return {"method": method, "args": args}

    local = LocalServer(ui_dir=ui, voxels=VoxelStore(), bridge_call=bridge_call).start()
    local.calls = calls  # type: ignore[attr-defined]
    try:
        yield local
    finally:
        local.stop()


def get(server: LocalServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", headers=headers, timeout=10)


def test_binds_loopback_only(server: LocalServer) -> None:
    assert server._httpd.socket.getsockname()[0] == "127.0.0.1"
    other = _non_loopback_address()
    if other is not None:  # a machine with a network address: nothing listens there
        with pytest.raises(OSError), socket.create_connection((other, server.port), timeout=2):
            pass


def test_voxels_need_the_token(server: LocalServer) -> None:
    handle = server.voxels.register("k", np.zeros((2, 3, 4), np.int16))
    assert get(server, f"/voxels/{handle}").status_code == 403
    assert get(server, f"/voxels/{handle}", **{TOKEN: "wrong"}).status_code == 403
    assert get(server, f"/voxels/{handle}", **{TOKEN: server.token[:-1]}).status_code == 403
    assert get(server, f"/voxels/{handle}", **{TOKEN: server.token}).status_code == 200
    assert get(server, "/voxels/nope", **{TOKEN: server.token}).status_code == 404


def test_wrong_host_is_refused_even_with_the_token(server: LocalServer) -> None:
    handle = server.voxels.register("k", np.zeros((2, 3, 4), np.int16))
    for host in (f"evil.example:{server.port}", "127.0.0.1", f"127.0.0.1:{server.port + 1}"):
        response = get(server, f"/voxels/{handle}", Host=host, **{TOKEN: server.token})
        assert response.status_code == 421, host
        assert get(server, "/", Host=host).status_code == 421
    ok = get(server, f"/voxels/{handle}", Host=f"localhost:{server.port}", **{TOKEN: server.token})
    assert ok.status_code == 200


def test_voxel_bytes_equal_every_mini_volume(server: LocalServer, shared_data: Path) -> None:
    with open_dataset(shared_data / "mini.zip") as dataset:
        checked = 0
        for case in dataset.cases:
            for ref in case.volumes:
                volume = dataset.read_volume(case.id, ref.name)
                handle = server.voxels.register((case.id, ref.name), volume.array)
                response = get(server, f"/voxels/{handle}", **{TOKEN: server.token})
                assert response.status_code == 200
                expected = np.ascontiguousarray(
                    volume.array, volume.array.dtype.newbyteorder("<")
                ).tobytes()
                assert response.content == expected, (case.name, ref.name)
                if volume.array.dtype.byteorder in "=<|":
                    assert response.content == volume.array.tobytes()
                assert response.headers["X-Naesview-Shape"] == ",".join(map(str, volume.shape))
                dtype = np.dtype(response.headers["X-Naesview-Dtype"]).newbyteorder("<")
                decoded = np.frombuffer(response.content, dtype).reshape(volume.shape)
                np.testing.assert_array_equal(decoded, volume.array)
                checked += 1
    assert checked == 9  # 4 images, 4 masks, case10's prediction


def test_slabs_and_byte_ranges(server: LocalServer) -> None:
    array = np.arange(5 * 3 * 4, dtype=np.int16).reshape(5, 3, 4) - 30
    handle = server.voxels.register("k", array)
    auth = {TOKEN: server.token}
    slab = get(server, f"/voxels/{handle}?z0=2&z1=4", **auth)
    assert slab.content == array[2:4].tobytes()
    one = get(server, f"/voxels/{handle}?z0=4", **auth)
    assert one.content == array[4:].tobytes()
    ranged = get(server, f"/voxels/{handle}", Range="bytes=10-19", **auth)
    assert ranged.status_code == 206
    assert ranged.content == array.tobytes()[10:20]
    assert ranged.headers["Content-Range"] == f"bytes 10-19/{array.nbytes}"
    assert get(server, f"/voxels/{handle}?z0=3&z1=3", **auth).status_code == 416
    assert get(server, f"/voxels/{handle}?z0=0&z1=6", **auth).status_code == 416
    assert get(server, f"/voxels/{handle}?z0=x", **auth).status_code == 400
    assert get(server, f"/voxels/{handle}", Range="bytes=500-", **auth).status_code == 416


def test_big_volume_streams_whole_and_first_slab_is_quick(server: LocalServer) -> None:
    array = np.random.default_rng(1).integers(-1000, 3000, (60, 512, 512), dtype=np.int16)
    handle = server.voxels.register("big", array)
    with httpx.Client(timeout=30) as client:
        whole = client.get(f"{server.base_url}/voxels/{handle}", headers={TOKEN: server.token})
        assert whole.content == array.tobytes()
        middle = client.get(
            f"{server.base_url}/voxels/{handle}?z0=30&z1=31", headers={TOKEN: server.token}
        )
        assert middle.content == array[30].tobytes()


def test_edited_masks_only_for_editable_handles_of_the_right_size(server: LocalServer) -> None:
    mask = np.zeros((2, 3, 4), np.uint8)
    editable = server.voxels.register("mask", mask, editable=True)
    image = server.voxels.register("image", np.zeros((2, 3, 4), np.int16))
    edited = np.ones((2, 3, 4), np.uint8)
    url = f"{server.base_url}/masks/{editable}"
    assert httpx.put(url, content=edited.tobytes()).status_code == 403
    auth = {TOKEN: server.token}
    assert httpx.put(url, content=b"\x01" * 23, headers=auth).status_code == 409
    # Too long is refused from Content-Length alone, before the body is read.
    assert httpx.put(url, content=b"\x01" * 25, headers=auth).status_code == 413
    assert httpx.put(url, content=edited.tobytes(), headers=auth).status_code == 204
    np.testing.assert_array_equal(server.voxels.take_edit(editable), edited)
    assert server.voxels.take_edit(editable) is None  # taken once
    image_url = f"{server.base_url}/masks/{image}"
    assert httpx.put(image_url, content=bytes(24), headers=auth).status_code == 404


def test_static_ui_without_token_and_nothing_outside_it(server: LocalServer) -> None:
    index = get(server, "/")
    assert index.status_code == 200
    assert index.headers["Content-Type"].startswith("text/html")
    assert index.headers["Referrer-Policy"] == "no-referrer"  # the page URL holds the token
    assert index.headers["X-Frame-Options"] == "DENY"
    script = get(server, "/src/app.js")
    assert script.headers["Content-Type"].startswith("text/javascript")  # ES modules need it
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/src/../../secret.txt", "/nope.js"):
        response = get(server, path)
        assert response.status_code == 404, path
        assert "outside the ui folder" not in response.text


def test_no_cross_origin_access(server: LocalServer) -> None:
    handle = server.voxels.register("k", np.zeros((1, 1, 1), np.uint8))
    preflight = httpx.options(
        f"{server.base_url}/voxels/{handle}",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Headers": "x-naesview-token",
        },
    )
    assert preflight.status_code == 405
    response = get(server, f"/voxels/{handle}", Origin="http://evil.example", **{TOKEN: "x"})
    assert "access-control-allow-origin" not in {k.lower() for k in response.headers}


def test_bridge_over_http(server: LocalServer) -> None:
    url = f"{server.base_url}/bridge/load_case"
    assert httpx.post(url, json={"index": 2}).status_code == 403
    response = httpx.post(url, json={"index": 2}, headers={TOKEN: server.token})
    assert response.json() == {"method": "load_case", "args": {"index": 2}}
    bad = httpx.post(url, content=b"{not json", headers={TOKEN: server.token})
    assert bad.status_code == 400
    assert server.calls == [("load_case", {"index": 2})]  # type: ignore[attr-defined]


def test_a_new_launch_has_a_new_token(tmp_path: Path) -> None:
    servers = [LocalServer(ui_dir=tmp_path, voxels=VoxelStore()) for _ in range(2)]
    try:
        assert servers[0].token != servers[1].token
        assert len(servers[0].token) >= 40
    finally:
        for s in servers:
            s._httpd.server_close()


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; picks the outgoing interface
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_store_keeps_only_the_newest_volumes_within_its_byte_budget() -> None:
    store = VoxelStore(max_items=10, max_bytes=3000)
    handles = [store.register(i, np.zeros((10, 10, 10), np.uint8)) for i in range(5)]
    kept = [h for h in handles if store.get(h) is not None]
    assert kept == handles[2:]  # 3 × 1000 bytes fit; the oldest two were let go
    assert store.register(4, np.ones((10, 10, 10), np.uint8)) == handles[4]  # same key, handle
    huge = store.register("huge", np.zeros((20, 20, 20), np.uint8))  # over budget alone
    assert store.get(huge) is not None  # the newest is always kept
    assert all(store.get(h) is None for h in handles)


def test_services_that_cannot_start_answer_one_line_errors(tmp_path: Path) -> None:
    from naesview_app.config import AppPaths
    from naesview_app.shell import start_services

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    running = start_services(AppPaths(tmp_path / "config", blocker), mode="browser")
    try:
        assert not running.wait_ready(30)
        response = httpx.post(
            f"{running.server.base_url}/bridge/app_info",
            json={},
            headers={TOKEN: running.server.token},
            timeout=30,
        )
        error = response.json()["error"]
        assert error["code"] == "internal"
        assert "could not start" in error["message"]
        assert "\n" not in error["message"]
    finally:
        running.close()
