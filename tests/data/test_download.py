"""ember.utils.download against a real HTTP server on the loopback interface."""

import gzip
import hashlib
import io
import os
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ember.utils.download import (
    DownloadError, calculate_hash, check_integrity, download_and_extract_archive, download_url, extract_archive,
)

PAYLOAD = bytes(range(256)) * 300  # 76.8 kB: several chunks


class _Handler(BaseHTTPRequestHandler):
    """Serves ``server.files``: name -> (bytes, content type); honours Range; ``/drop/`` cuts the body short."""

    def do_GET(self):
        self.server.hits.append((self.path, self.headers.get("Range")))
        name = self.path.lstrip("/")
        drop = name.startswith("drop/")
        if drop:
            name = name[5:]
        if name not in self.server.files:
            self.send_error(404, "Not Found")
            return
        body, kind = self.server.files[name]
        start, status = 0, 200
        rng = self.headers.get("Range")
        if rng and self.server.ranges:
            start, status = int(rng.split("=")[1].rstrip("-")), 206
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:len(body) // 2] if drop else body[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files, httpd.hits, httpd.ranges = {}, [], True
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _md5(data):
    return hashlib.md5(data).hexdigest()


def test_download_checks_sha256_and_md5(server, tmp_path):
    server.files["data.bin"] = (PAYLOAD, "application/octet-stream")
    path = download_url(server.url + "data.bin", tmp_path, sha256=_sha(PAYLOAD), md5=_md5(PAYLOAD), progress=False)
    assert path == os.path.join(tmp_path, "data.bin")
    assert _read(path) == PAYLOAD
    assert sorted(os.listdir(tmp_path)) == ["data.bin"]
    assert check_integrity(path, md5=_md5(PAYLOAD), sha256=_sha(PAYLOAD))
    assert calculate_hash(path, "md5") == _md5(PAYLOAD)
    # a second call finds the verified file and makes no request
    hits = len(server.hits)
    download_url(server.url + "data.bin", tmp_path, sha256=_sha(PAYLOAD), progress=False)
    assert len(server.hits) == hits


def test_checksum_mismatch_raises_and_leaves_nothing(server, tmp_path):
    server.files["data.bin"] = (PAYLOAD[:-1] + b"\x00", "application/octet-stream")  # corrupted
    with pytest.raises(DownloadError) as info:
        download_url(server.url + "data.bin", tmp_path, sha256=_sha(PAYLOAD), progress=False)
    msg = str(info.value)
    assert "checksum mismatch" in msg and _sha(PAYLOAD) in msg
    assert server.url + "data.bin" in msg and os.path.join(tmp_path, "data.bin") in msg  # how to place it by hand
    assert os.listdir(tmp_path) == []


def test_html_page_is_rejected(server, tmp_path):
    server.files["data.bin"] = (b"<!DOCTYPE html><html><body>quota exceeded</body></html>", "text/html")
    with pytest.raises(DownloadError, match="HTML page"):
        download_url(server.url + "data.bin", tmp_path, progress=False)
    server.files["sneaky.bin"] = (b"  <html><body>login</body></html>", "application/octet-stream")
    with pytest.raises(DownloadError, match="HTML page"):
        download_url(server.url + "sneaky.bin", tmp_path, progress=False)
    assert os.listdir(tmp_path) == []


def test_mirrors_are_tried_in_order(server, tmp_path):
    server.files["good/data.bin"] = (PAYLOAD, "application/octet-stream")
    path = download_url(server.url + "missing/data.bin", tmp_path, sha256=_sha(PAYLOAD),
                        mirrors=[server.url + "good/data.bin"], progress=False)
    assert _read(path) == PAYLOAD
    assert [h[0] for h in server.hits] == ["/missing/data.bin", "/good/data.bin"]


def test_all_failures_are_reported(server, tmp_path):
    with pytest.raises(DownloadError) as info:
        download_url(server.url + "a.bin", tmp_path, md5="0" * 32, mirrors=[server.url + "b.bin"], progress=False)
    msg = str(info.value)
    assert "a.bin" in msg and "b.bin" in msg and "404" in msg and "0" * 32 in msg


def test_interrupted_download_resumes(server, tmp_path):
    server.files["data.bin"] = (PAYLOAD, "application/octet-stream")
    with pytest.raises(DownloadError, match="connection closed"):
        download_url(server.url + "drop/data.bin", tmp_path, filename="data.bin", progress=False)
    part = os.path.join(tmp_path, ".data.bin.part")
    assert os.path.getsize(part) == len(PAYLOAD) // 2 and not os.path.exists(os.path.join(tmp_path, "data.bin"))
    path = download_url(server.url + "data.bin", tmp_path, sha256=_sha(PAYLOAD), progress=False)
    assert server.hits[-1] == ("/data.bin", f"bytes={len(PAYLOAD) // 2}-")
    assert _read(path) == PAYLOAD and not os.path.exists(part)


def test_server_without_range_restarts(server, tmp_path):
    server.files["data.bin"] = (PAYLOAD, "application/octet-stream")
    server.ranges = False
    (tmp_path / ".data.bin.part").write_bytes(b"stale bytes")
    path = download_url(server.url + "data.bin", tmp_path, sha256=_sha(PAYLOAD), progress=False)
    assert _read(path) == PAYLOAD


def test_progress_bar_goes_to_stderr(server, tmp_path, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    server.files["data.bin"] = (PAYLOAD, "application/octet-stream")
    download_url(server.url + "data.bin", tmp_path, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "data.bin" in err and "100.0%" in err


def _tar_bytes(entries, mode="w:gz"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_download_and_extract_tar_gz(server, tmp_path):
    blob = _tar_bytes([("pkg/a.txt", b"alpha"), ("pkg/sub/b.txt", b"beta")])
    server.files["pkg.tar.gz"] = (blob, "application/gzip")
    download_and_extract_archive(server.url + "pkg.tar.gz", tmp_path / "dl", tmp_path / "out", md5=_md5(blob),
                                 progress=False)
    assert (tmp_path / "out/pkg/a.txt").read_bytes() == b"alpha"
    assert (tmp_path / "out/pkg/sub/b.txt").read_bytes() == b"beta"


def test_tar_with_parent_entries_is_refused(server, tmp_path):
    blob = _tar_bytes([("ok.txt", b"fine"), ("../evil.txt", b"pwned")])
    server.files["evil.tar.gz"] = (blob, "application/gzip")
    with pytest.raises(DownloadError, match=r"\.\./evil\.txt.*outside"):
        download_and_extract_archive(server.url + "evil.tar.gz", tmp_path / "dl", tmp_path / "out", progress=False)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out/ok.txt").exists()


def test_tar_with_escaping_symlink_is_refused(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("link")
        info.type, info.linkname = tarfile.SYMTYPE, "../../etc/passwd"
        tar.addfile(info)
    (tmp_path / "l.tar").write_bytes(buf.getvalue())
    with pytest.raises(DownloadError, match="links outside"):
        extract_archive(tmp_path / "l.tar", tmp_path / "out")


def test_zip_extraction_and_traversal(tmp_path):
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("d/x.txt", "x")
    (tmp_path / "good.zip").write_bytes(good.getvalue())
    assert extract_archive(tmp_path / "good.zip", tmp_path / "out") == str(tmp_path / "out")
    assert (tmp_path / "out/d/x.txt").read_text() == "x"
    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../../escape.txt", "x")
    (tmp_path / "bad.zip").write_bytes(bad.getvalue())
    with pytest.raises(DownloadError, match="outside"):
        extract_archive(tmp_path / "bad.zip", tmp_path / "out2")


def test_single_gz_and_corrupt_archives(tmp_path):
    (tmp_path / "v.bin.gz").write_bytes(gzip.compress(b"values"))
    out = extract_archive(tmp_path / "v.bin.gz", remove_finished=True)
    assert _read(out) == b"values" and not (tmp_path / "v.bin.gz").exists()
    (tmp_path / "broken.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DownloadError, match="broken.gz"):
        extract_archive(tmp_path / "broken.gz")
    assert not (tmp_path / "broken").exists()
    (tmp_path / "thing.rar").write_bytes(b"x")
    with pytest.raises(DownloadError, match="unknown archive type"):
        extract_archive(tmp_path / "thing.rar")
