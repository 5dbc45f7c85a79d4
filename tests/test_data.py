"""Tests of mnist_course.data and mnist_course.data.download: real MNIST and small built copies."""

from __future__ import annotations

import errno
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
import torch

from mnist_course import data
from mnist_course.data import download, load_mnist
from mnist_course.data.idx import MnistDataError


def test_test_split_is_the_official_one(test_split):
    images, labels, source = test_split
    assert images.shape == (10_000, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (10_000,) and labels.dtype == torch.int64
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the first official test labels
    assert torch.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert "10,000 test images" in source


def test_train_split_is_real_mnist_and_says_where_it_is_from(train_split):
    images, labels, source = train_split
    assert images.shape[1:] == (28, 28)
    assert len(images) == len(labels) >= 10_000
    assert int(images.max()) == 255 and int(images.min()) == 0
    assert set(labels.unique().tolist()) == set(range(10))
    if len(labels) < 60_000:
        assert "offline copy" in source and "subset of the 60,000" in source
    mean, std = data.mean_and_std(images)
    assert abs(mean - data.MNIST_MEAN) < 0.01 and abs(std - data.MNIST_STD) < 0.01


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")


def test_moved_helpers_have_one_home():
    assert not hasattr(data, "TensorBatches") and not hasattr(data, "read_idx")
    assert not hasattr(data, "MnistDataError")


def test_shuffle_seed_gives_other_training_digits_in_a_fixed_order(train_split, test_split, monkeypatch,
                                                                   tmp_path):
    monkeypatch.setenv("MNIST_COURSE_SHUFFLE", "3")
    shuffled = load_mnist("train")
    assert "shuffled with seed 3 (MNIST_COURSE_SHUFFLE)" in shuffled.source
    assert "shuffled with seed 3" in data.data_source()
    assert torch.equal(shuffled.images, load_mnist("train").images)  # fixed: the same every time
    assert torch.equal(torch.bincount(shuffled.labels), torch.bincount(train_split.labels))
    flat = train_split.images.reshape(len(train_split.images), -1)
    for image, label in zip(shuffled.images[:20], shuffled.labels[:20], strict=True):
        where = (flat == image.reshape(-1)).all(dim=1).nonzero().flatten()
        assert len(where) >= 1 and int(train_split.labels[where[0]]) == int(label)  # pairs kept
    first_1000 = {bytes(image.numpy()) for image in shuffled.images[:1000]}
    assert len(first_1000 & {bytes(image.numpy()) for image in train_split.images[:1000]}) < 200
    assert torch.equal(load_mnist("test").images, test_split.images)  # the test split never moves
    dataset = data.mnist_dataset("train", root=tmp_path)  # the Dataset route agrees (lesson 1)
    assert torch.equal(dataset.data[:50], shuffled.images[:50])
    assert torch.equal(dataset.targets[:50], shuffled.labels[:50])
    monkeypatch.setenv("MNIST_COURSE_SHUFFLE", "three")
    with pytest.raises(ValueError, match="MNIST_COURSE_SHUFFLE must be a whole number"):
        load_mnist("train")


@pytest.mark.parametrize("value", ["99999999999999999999999", "-3"])
def test_a_shuffle_seed_out_of_range_names_the_range(value, monkeypatch):
    monkeypatch.setenv("MNIST_COURSE_SHUFFLE", value)
    message = (f"MNIST_COURSE_SHUFFLE must be a whole number from 0 to 2**64 - 1 (18446744073709551615), "
               f"not '{value}'")
    for call in (lambda: load_mnist("train"), data.data_source, lambda: data.mnist_dataset("train")):
        with pytest.raises(ValueError) as caught:
            call()
        assert str(caught.value) == message


def test_missing_file_and_wrong_folder_explain_both_fixes(idx_folder, monkeypatch, tmp_path):
    (idx_folder / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(MnistDataError) as error:
        load_mnist("train")
    assert "train-images-idx3-ubyte.gz" in str(error.value)
    assert "online:" in str(error.value) and "offline:" in str(error.value)
    monkeypatch.setenv("MNIST_COURSE_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(MnistDataError, match="is not a folder"):
        load_mnist("test")


def test_no_network_and_no_copy_names_both_fixes(monkeypatch, tmp_path):
    import torchvision.datasets

    def no_network(*args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz: no network")

    monkeypatch.delenv("MNIST_COURSE_DATA", raising=False)
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    with pytest.raises(MnistDataError) as error:
        load_mnist("train", root=tmp_path)
    message = str(error.value)
    assert "Could not download MNIST" in message and str(tmp_path) in message
    assert "MNIST_COURSE_DATA=/path/to/that/folder" in message and "connect to the internet" in message
    with pytest.raises(MnistDataError, match="Could not download MNIST"):
        data.mnist_dataset("test", root=tmp_path)


def test_a_server_that_never_answers_times_out_with_the_offline_message(monkeypatch, tmp_path):
    import torchvision.datasets

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_say_nothing():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    acceptor = threading.Thread(target=accept_and_say_nothing, daemon=True)
    acceptor.start()
    port = server.getsockname()[1]
    monkeypatch.delenv("MNIST_COURSE_DATA", raising=False)
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [f"http://127.0.0.1:{port}/"])
    monkeypatch.setattr(download, "DOWNLOAD_TIMEOUT_S", 0.5)
    outcome: list[BaseException | None] = []

    def load():
        try:
            load_mnist("test", root=tmp_path)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    before = socket.getdefaulttimeout()
    start = time.perf_counter()
    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    loader.join(timeout=20)
    elapsed, still_waiting = time.perf_counter() - start, loader.is_alive()
    stop.set()
    for connection in accepted:  # unblocks a client that has no timeout, if the check failed
        connection.close()
    server.close()
    acceptor.join(timeout=5)
    assert not still_waiting, "the download was still waiting after 20 s"
    assert accepted, "the download never reached the local server"
    assert isinstance(outcome[0], MnistDataError), outcome
    message = str(outcome[0])
    assert "did not answer within 0.5 s" in message and "MNIST_COURSE_DATA=/path/to/that/folder" in message
    assert elapsed < 10
    assert socket.getdefaulttimeout() == before  # the process-wide setting is restored


class _Trickle:
    """A local HTTP server (127.0.0.1 only) that promises 100 kB and sends one byte every 0.1 s, at most
    150 bytes per request; it stops by itself, or when the test says so."""

    def __init__(self):
        import http.server

        self.requests: list[str] = []
        self.stop = threading.Event()
        trickle = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                trickle.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                for _ in range(150):
                    if trickle.stop.wait(0.1):
                        return
                    try:
                        self.wfile.write(b"\x1f")
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# issue 20, item 7: the deadline bounds the whole download, not each read
def test_a_server_that_trickles_bytes_is_stopped_by_the_whole_download_deadline(monkeypatch, tmp_path):
    import torchvision.datasets

    trickle = _Trickle()
    monkeypatch.delenv("MNIST_COURSE_DATA", raising=False)
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [trickle.url])
    monkeypatch.setattr(download, "DOWNLOAD_TIMEOUT_S", 1.0)  # never reached: a byte comes every 0.1 s
    monkeypatch.setattr(download, "DOWNLOAD_DEADLINE_S", 1.5, raising=False)
    outcome: list[BaseException | None] = []

    def load():
        try:
            load_mnist("test", root=tmp_path)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    start = time.perf_counter()
    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    loader.join(timeout=12)
    elapsed, still_running = time.perf_counter() - start, loader.is_alive()
    trickle.close()
    loader.join(timeout=20)
    assert not still_running, f"the download was still running after 12 s ({len(trickle.requests)} requests)"
    assert 1 <= len(trickle.requests) <= 2, trickle.requests
    assert isinstance(outcome[0], MnistDataError), outcome
    message = str(outcome[0])
    assert "the whole download took more than 1.5 s" in message and "MNIST_COURSE_DATA=" in message
    assert elapsed < 6
    assert not list(tmp_path.rglob("*.gz")) and not list(tmp_path.rglob("*.part"))


def test_the_download_tries_the_next_mirror_checks_the_files_and_fills_the_cache(make_idx_folder, monkeypatch,
                                                                                 tmp_path):
    import functools
    import hashlib
    import http.server

    import torchvision.datasets

    folder = make_idx_folder(tmp_path / "served", seed=4)
    (tmp_path / "served" / "bad").mkdir()
    for path in folder.glob("*.gz"):  # the first mirror sends damaged files
        (folder / "bad" / path.name).write_bytes(path.read_bytes()[:-9])
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    handler = functools.partial(Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    resources = [(p.name, hashlib.md5(p.read_bytes()).hexdigest()) for p in sorted(folder.glob("*.gz"))]
    monkeypatch.delenv("MNIST_COURSE_DATA", raising=False)
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [url + "bad/", url + "missing/", url])
    monkeypatch.setattr(torchvision.datasets.MNIST, "resources", resources)
    try:
        test = load_mnist("test", root=tmp_path / "cache")
        again = load_mnist("test", root=tmp_path / "cache")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert test.labels.tolist() == [(i + 4) % 10 for i in range(20)]
    assert torch.equal(test.images, again.images)
    assert len(requests) == 12  # 4 files x 3 mirrors, and nothing the second time
    assert not list((tmp_path / "cache").rglob("*.part"))


def test_torchvision_dataset_route_reads_the_same_images(test_split, tmp_path):
    from torchvision import transforms

    dataset = data.mnist_dataset("test", transform=transforms.ToTensor(), root=tmp_path)
    image, label = dataset[0]
    assert image.shape == (1, 28, 28) and 0.0 <= image.min() and image.max() <= 1.0
    assert label == 7 and len(dataset) == len(test_split.labels)
    assert torch.allclose(image[0], test_split.images[0].float() / 255)


def test_unpacked_cache_follows_the_content_not_the_clock(make_idx_folder, monkeypatch, tmp_path):
    first = make_idx_folder(tmp_path / "first", seed=1)
    monkeypatch.setenv("MNIST_COURSE_DATA", str(first))
    cache = tmp_path / "cache"
    assert data.mnist_dataset("test", root=cache).targets[0] == 1
    raw = cache / "offline" / "MNIST" / "raw"
    unpacked = raw / "t10k-labels-idx1-ubyte"
    stamp = unpacked.stat().st_mtime_ns
    data.mnist_dataset("test", root=cache)
    assert unpacked.stat().st_mtime_ns == stamp  # same content: not unpacked again
    second = make_idx_folder(tmp_path / "second", seed=2, n_test=20)  # same sizes, other content
    for path in second.iterdir():
        os.utime(path, (1_000_000, 1_000_000))  # and older than the unpacked copy
    monkeypatch.setenv("MNIST_COURSE_DATA", str(second))
    dataset = data.mnist_dataset("test", root=cache)
    assert dataset.targets[:3].tolist() == [2, 3, 4]
    assert torch.equal(dataset.data, load_mnist("test").images)


def test_unpacked_files_are_readable_by_other_users(idx_folder, tmp_path):
    data.mnist_dataset("train", root=tmp_path / "cache")
    raw = tmp_path / "cache" / "offline" / "MNIST" / "raw"
    modes = {path.name: path.stat().st_mode & 0o777 for path in raw.iterdir()}
    assert len(modes) == 8 and set(modes.values()) == {0o644}, modes


def test_full_disk_leaves_no_temporary_file(idx_folder, tmp_path, monkeypatch):
    def write_half_then_fail(dst, payload):
        dst.write(bytes(payload[: len(payload) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(download, "_write_chunks", write_half_then_fail)
    with pytest.raises(MnistDataError, match=r"disk is full.*MNIST_COURSE_CACHE"):
        data.mnist_dataset("test", root=tmp_path / "cache")
    raw = tmp_path / "cache" / "offline" / "MNIST" / "raw"
    assert list(raw.iterdir()) == []


def test_read_only_cache_is_a_clear_error(idx_folder, tmp_path, monkeypatch):
    raw = tmp_path / "cache" / "offline" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    raw.chmod(0o555)
    if os.geteuid() == 0:  # root may write anywhere: fail the way a read-only folder does
        def read_only(*args, **kwargs):
            raise OSError(errno.EROFS, "Read-only file system")

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
    try:
        with pytest.raises(MnistDataError, match=r"not writable.*MNIST_COURSE_CACHE"):
            data.mnist_dataset("test", root=tmp_path / "cache")
    finally:
        raw.chmod(0o755)
    assert list(raw.iterdir()) == []


def test_to_float_images_matches_torchvision_normalize(test_split):
    from torchvision import transforms

    normalize = transforms.Normalize((data.MNIST_MEAN,), (data.MNIST_STD,))
    expected = normalize(test_split.images[:4].unsqueeze(1).float() / 255)
    assert torch.allclose(data.to_float_images(test_split.images[:4]), expected, atol=1e-6)


def test_shipped_samples_and_their_labels():
    paths, labels = data.load_samples()
    assert len(paths) == len(labels) >= 40 and all(path.is_file() for path in paths)
    assert labels.dtype == torch.int64 and set(labels.tolist()) == set(range(10))
    assert all(path.name.startswith(str(int(label))) for path, label in zip(paths, labels, strict=True))


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_COURSE_CACHE", str(tmp_path))
    assert data.default_cache_dir() == tmp_path
    monkeypatch.delenv("MNIST_COURSE_CACHE")
    assert data.default_cache_dir().name == "data"


# issue 17: one atomic write
def test_one_atomic_write_serves_the_whole_package():
    package = Path(data.__file__).resolve().parent.parent
    writers = sorted(path.relative_to(package).as_posix() for path in package.rglob("*.py")
                     if "os.replace(" in path.read_text())
    assert writers == ["data/atomic.py"]


def test_atomic_write_gives_the_whole_file_or_leaves_the_old_one(tmp_path):
    from mnist_course.data.atomic import atomic_write

    target = tmp_path / "file.bin"
    assert atomic_write(target, lambda file: file.write(b"first"), mode=0o640) == target
    assert target.read_bytes() == b"first" and target.stat().st_mode & 0o777 == 0o640

    def full_disk(file):
        file.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        atomic_write(target, full_disk)
    assert target.read_bytes() == b"first" and list(tmp_path.iterdir()) == [target]
    umask = os.umask(0o027)
    try:
        atomic_write(target, lambda file: file.write(b"second"))
    finally:
        os.umask(umask)
    assert target.read_bytes() == b"second" and target.stat().st_mode & 0o777 == 0o640  # 0o666 & ~umask
