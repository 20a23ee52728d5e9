"""The hub that serves a run's embedded providers: one server, one path prefix per provider, in a
child process that the run starts, drives over its stdin and stops by its PID. Real processes and
real HTTP over loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance.reference.flavour import Flavour
from conformance.reference.hub import ReferenceHub
from conformance.reference.hub_process import HubProcess, HubStopped, make_hub

KEY_A = "sk-hub-test-a-0123456789abcdef"
KEY_B = "sk-hub-test-b-0123456789abcdef"


def models(base_url: str, key: str) -> httpx.Response:
    return httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {key}"}, timeout=10)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid: int, within_s: float = 20.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def hub() -> Iterator[HubProcess]:
    hub = HubProcess()
    try:
        yield hub
    finally:
        hub.stop()


def test_each_provider_has_its_own_key_models_and_flavour(hub: HubProcess) -> None:
    plain = hub.add(api_key=KEY_A, models=["m-a"], flavour=Flavour())
    bare = hub.add(api_key=KEY_B, models=["m-b1", "m-b2"], flavour=Flavour(frozenset({"models_bare_array"})))
    assert plain != bare and plain.endswith("/v1") and bare.endswith("/v1")

    listing = models(plain, KEY_A)
    assert listing.status_code == 200
    assert [m["id"] for m in listing.json()["data"]] == ["m-a"]
    assert models(plain, KEY_B).status_code == 401  # the other provider's key is not this one's

    bare_listing = models(bare, KEY_B)
    assert bare_listing.status_code == 200
    assert [m["id"] for m in bare_listing.json()] == ["m-b1", "m-b2"]  # the flavour reached the child


def test_a_path_outside_any_provider_is_a_plain_404(hub: HubProcess) -> None:
    url = hub.add(api_key=KEY_A, models=["m"], flavour=Flavour())
    root = url.split("/_/")[0]
    assert httpx.get(f"{root}/_/999/v1/models", timeout=10).status_code == 404
    assert httpx.get(f"{root}/v1/models", timeout=10).status_code == 404


def test_stop_ends_the_process_and_frees_the_port(hub: HubProcess) -> None:
    url = hub.add(api_key=KEY_A, models=["m"], flavour=Flavour())
    pid = hub.pid
    assert pid is not None and alive(pid)
    hub.stop()
    assert hub.pid is None
    assert wait_gone(pid, 1.0)  # stop() waited for it: it is reaped already
    with pytest.raises(httpx.ConnectError):
        models(url, KEY_A)
    hub.stop()  # a second stop is a no-op


def test_a_provider_it_cannot_serve_is_an_error_naming_why_and_the_others_go_on(hub: HubProcess) -> None:
    with pytest.raises(RuntimeError, match="could not serve a provider: ValueError: unknown deviation"):
        hub.add(api_key=KEY_A, models=["m"], flavour=Flavour(frozenset({"no_such_deviation"})))
    url = hub.add(api_key=KEY_A, models=["m"], flavour=Flavour())
    assert models(url, KEY_A).status_code == 200


def test_ctrl_c_does_not_stop_the_providers_the_run_stops_them(hub: HubProcess) -> None:
    # The terminal sends SIGINT to the whole process group: the interrupted run still writes its
    # reports, and its last in-flight requests must not meet a dead server first.
    url = hub.add(api_key=KEY_A, models=["m"], flavour=Flavour())
    assert hub.pid is not None
    os.kill(hub.pid, signal.SIGINT)
    time.sleep(0.3)
    assert models(url, KEY_A).status_code == 200


def test_a_child_that_died_is_reported_not_waited_for(hub: HubProcess) -> None:
    hub.add(api_key=KEY_A, models=["m"], flavour=Flavour())
    assert hub.pid is not None
    os.kill(hub.pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match=r"process exited \(code -9\)"):
        hub.add(api_key=KEY_B, models=["m"], flavour=Flavour())


def test_no_provider_is_added_after_stop_so_no_server_outlives_the_run(hub: HubProcess) -> None:
    # A run that fails or is interrupted stops the hub while other entries' adds may still be queued.
    hub.add(api_key=KEY_A, models=["m"], flavour=Flavour())
    pid = hub.pid
    assert pid is not None
    results: list[BaseException | str] = []

    def add() -> None:
        try:
            results.append(hub.add(api_key=KEY_B, models=["m"], flavour=Flavour()))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertions
            results.append(exc)

    adders = [threading.Thread(target=add) for _ in range(6)]
    for thread in adders:
        thread.start()
    hub.stop()
    for thread in adders:
        thread.join(30)
    assert hub.pid is None and not alive(pid)
    assert len(results) == 6
    assert all(isinstance(r, str | HubStopped | RuntimeError) for r in results)  # served, refused, or cut off by the stop
    with pytest.raises(HubStopped):
        hub.add(api_key=KEY_A, models=["m"], flavour=Flavour())
    assert hub.pid is None


def test_output_of_the_childs_start_up_cannot_garble_the_replies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Anything the child prints (a sitecustomize, a .pth file, the package) goes to stderr, and the
    # replies travel on their own pipe: one line out of step would give a provider another's key.
    (tmp_path / "sitecustomize.py").write_text("print('hello from sitecustomize')\nprint('{\"url\": \"http://wrong/v1\"}')\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    hub = HubProcess()
    try:
        first = hub.add(api_key=KEY_A, models=["m-a"], flavour=Flavour())
        second = hub.add(api_key=KEY_B, models=["m-b"], flavour=Flavour())
        assert [m["id"] for m in models(first, KEY_A).json()["data"]] == ["m-a"]
        assert [m["id"] for m in models(second, KEY_B).json()["data"]] == ["m-b"]
    finally:
        hub.stop()


def test_a_conformance_module_in_the_working_directory_is_not_what_the_child_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "conformance.py").write_text("raise SystemExit('the wrong conformance')\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    hub = HubProcess()
    try:
        assert models(hub.add(api_key=KEY_A, models=["m"], flavour=Flavour()), KEY_A).status_code == 200
    finally:
        hub.stop()


def test_a_child_that_stops_answering_is_reported_and_killed() -> None:
    hub = HubProcess(reply_timeout_s=1.0, stop_timeout_s=1.0)
    try:
        hub.add(api_key=KEY_A, models=["m"], flavour=Flavour())
        pid = hub.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="did not answer within 1 s"):
            hub.add(api_key=KEY_B, models=["m"], flavour=Flavour())
        assert time.monotonic() - started < 10
    finally:
        hub.stop()
    assert not alive(pid)


def test_stop_does_not_wait_behind_an_add_the_child_never_answers() -> None:
    hub = HubProcess(reply_timeout_s=60.0, stop_timeout_s=1.0)
    hub.add(api_key=KEY_A, models=["m"], flavour=Flavour())
    pid = hub.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    errors: list[BaseException] = []

    def add() -> None:
        try:
            hub.add(api_key=KEY_B, models=["m"], flavour=Flavour())
        except BaseException as exc:  # noqa: BLE001 - collected for the assertions
            errors.append(exc)

    waiting = threading.Thread(target=add)
    waiting.start()
    time.sleep(0.3)  # the add is waiting for its reply
    started = time.monotonic()
    hub.stop()
    waiting.join(10)
    assert time.monotonic() - started < 10 and not waiting.is_alive()
    assert not alive(pid)
    assert len(errors) == 1 and "process exited (code -9)" in str(errors[0])


def test_a_parent_that_dies_without_stopping_leaves_no_server_behind() -> None:
    parent = textwrap.dedent(
        f"""
        import os
        from conformance.reference.flavour import Flavour
        from conformance.reference.hub_process import HubProcess
        hub = HubProcess()
        print(hub.add(api_key={KEY_A!r}, models=["m"], flavour=Flavour()), hub.pid, flush=True)
        os._exit(0)
        """
    )
    done = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, timeout=60, check=True)
    url, pid = done.stdout.split()
    assert wait_gone(int(pid)), "the hub process outlived its parent"
    with pytest.raises(httpx.ConnectError):
        models(url, KEY_A)


def test_a_run_uses_a_child_process_where_it_can_start_one(monkeypatch: pytest.MonkeyPatch) -> None:
    child = make_hub()
    try:
        assert isinstance(child, HubProcess)
        assert child.pid is not None and alive(child.pid)  # started at once, booting while the run prepares
    finally:
        child.stop()
    for setting in ("executable", "frozen"):
        with monkeypatch.context() as patch:
            patch.setattr(sys, setting, "" if setting == "executable" else True, raising=False)
            in_process = make_hub()
        assert isinstance(in_process, ReferenceHub), setting
        try:
            url = in_process.add(api_key=KEY_A, models=["m"], flavour=Flavour())
            assert models(url, KEY_A).status_code == 200
        finally:
            in_process.stop()
