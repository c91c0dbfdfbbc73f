"""Downloading data files safely (``ember.utils.download``): mirrors, checksums, atomic files, archives.

A file is fetched into a hidden ``.<name>.part`` file beside its target (an interrupted download
resumes from there when the server honours ``Range``), checked against its sha256/md5, and only then
renamed into place, so the target path never holds a partial or corrupted file. Archives are
extracted with every member checked to stay inside the destination folder.

Example:
    >>> import os, tempfile
    >>> from ember.utils.download import check_integrity
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp(), "hello.txt"); _ = path.write_bytes(b"hello")
    >>> check_integrity(path, sha256="2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    True
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import lzma
import os
import shutil
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

__all__ = [
    "DownloadError", "calculate_hash", "check_integrity", "download_url", "extract_archive",
    "download_and_extract_archive",
]

_CHUNK = 1 << 16
_USER_AGENT = "ember-download/0.1"
_COMPRESSORS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz")


class DownloadError(RuntimeError):
    """A file could not be downloaded, failed its checksum, or an archive was unsafe to extract.

    The message names the URL(s) tried, the expected hash and how to place the file by hand.

    Example:
        >>> from ember.utils.download import DownloadError
        >>> issubclass(DownloadError, RuntimeError)
        True
    """


# --- hashes -------------------------------------------------------------------------------------
def calculate_hash(path, algorithm="sha256", chunk_size=1 << 20):
    """The hex digest of the file at ``path`` (``algorithm``: any name :mod:`hashlib` knows).

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from ember.utils.download import calculate_hash
        >>> path = Path(tempfile.mkdtemp(), "f"); _ = path.write_bytes(b"abc")
        >>> calculate_hash(path, "md5")
        '900150983cd24fb0d6963f7d28e17f72'
    """
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def _expected(md5, sha256):
    """``[(algorithm, digest)]`` to verify, strongest first."""
    return [(name, value.lower()) for name, value in (("sha256", sha256), ("md5", md5)) if value]


def check_integrity(path, md5=None, sha256=None):
    """Whether ``path`` exists and matches every hash given (just existence when none is).

    Example:
        >>> import tempfile; from pathlib import Path
        >>> from ember.utils.download import check_integrity
        >>> path = Path(tempfile.mkdtemp(), "f"); _ = path.write_bytes(b"abc")
        >>> check_integrity(path, md5="900150983cd24fb0d6963f7d28e17f72"), check_integrity(path, md5="0" * 32)
        (True, False)
    """
    if not os.path.isfile(path):
        return False
    return all(calculate_hash(path, name) == value for name, value in _expected(md5, sha256))


# --- progress -------------------------------------------------------------------------------------
class _SimpleBar:
    """A one-line progress bar on stderr, used when tqdm is not installed."""

    def __init__(self, total, desc):
        self.total, self.desc, self.n, self._last = total, desc, 0, 0.0

    def update(self, n):
        self.n += n
        now = time.monotonic()
        if now - self._last >= 0.2 or (self.total and self.n >= self.total):
            self._last = now
            self._draw()

    def _draw(self):
        mb = self.n / 1e6
        if self.total:
            frac = min(self.n / self.total, 1.0)
            bar = "#" * int(frac * 30)
            text = f"\r{self.desc}: [{bar:<30s}] {frac:6.1%} {mb:.1f}/{self.total / 1e6:.1f} MB"
        else:
            text = f"\r{self.desc}: {mb:.1f} MB"
        sys.stderr.write(text)
        sys.stderr.flush()

    def close(self):
        self._draw()
        sys.stderr.write("\n")
        sys.stderr.flush()


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(total, desc, enabled, initial=0):
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        bar = _SimpleBar(total, desc)
        bar.n = initial
        return bar
    return tqdm(total=total, initial=initial, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr)


# --- fetching --------------------------------------------------------------------------------------
def _looks_like_html(head):
    start = head.lstrip()[:15].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def _fetch(url, part, progress, timeout):
    """Stream ``url`` into the file ``part``, resuming from its current size when the server allows."""
    have = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the part file already holds everything
            return
        raise
    with response:
        resumed = have and response.status == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        total = int(length) + have if length and length.isdigit() else None
        kind = (response.headers.get("Content-Type") or "").lower()
        target_is_html = urllib.parse.urlparse(url).path.lower().endswith((".html", ".htm"))
        first = response.read(_CHUNK)
        if not target_is_html and not resumed and ("text/html" in kind or _looks_like_html(first)):
            raise DownloadError(f"{url} served an HTML page instead of the file (a login, quota or error page?)")
        bar = _progress_bar(total, os.path.basename(part)[1:-5], progress, initial=have)
        try:
            with open(part, "ab" if resumed else "wb") as out:
                chunk = first
                while chunk:
                    out.write(chunk)
                    bar.update(len(chunk))
                    chunk = response.read(_CHUNK)
        finally:
            bar.close()
    if total is not None and os.path.getsize(part) != total:
        raise DownloadError(f"{url}: the connection closed after {os.path.getsize(part)} of {total} bytes")


def _manual_hint(urls, path, md5, sha256):
    hashes = ", ".join(f"{name} {value}" for name, value in _expected(md5, sha256)) or "no checksum given"
    listed = "\n".join(f"  {u}" for u in urls)
    return (f"To install it by hand, download it from one of\n{listed}\n"
            f"check that it has {hashes}, and place it at {path}")


def download_url(url, root, filename=None, md5=None, sha256=None, mirrors=(), progress=True, timeout=30.0):
    """Download ``url`` to ``root/filename`` unless a file with the right checksum is already there.

    Tries ``url`` and then each of ``mirrors`` (full URLs) until one succeeds. The data goes to a
    ``.<filename>.part`` file, is checked against ``sha256``/``md5`` and then atomically renamed;
    a failed or corrupted download raises :class:`DownloadError` (naming the URLs, the expected
    hash and where to put the file by hand) and leaves no partial file at the target.

    Args:
        url: the primary URL.
        root: folder to save into (created if needed).
        filename: name to save under; defaults to the URL's last path component.
        md5, sha256: expected hex digests (either, both or neither).
        mirrors: further URLs to try in order.
        progress: show a progress bar on stderr (tqdm when installed).
        timeout: seconds to wait on the network before giving up on a URL.

    Returns:
        The path of the downloaded file.

    Example:
        >>> import os, tempfile; from pathlib import Path
        >>> from ember.utils.download import download_url
        >>> root = tempfile.mkdtemp(); _ = Path(root, "f.bin").write_bytes(b"abc")
        >>> os.path.basename(download_url("http://127.0.0.1:9/f.bin", root, md5="900150983cd24fb0d6963f7d28e17f72"))
        'f.bin'
    """
    root = os.path.expanduser(os.fspath(root))
    filename = filename or os.path.basename(urllib.parse.urlparse(url).path)
    if not filename:
        raise ValueError(f"download_url: cannot tell a file name from {url!r}; pass filename=")
    path = os.path.join(root, filename)
    if check_integrity(path, md5, sha256) and (md5 or sha256 or os.path.getsize(path) > 0):
        return path
    os.makedirs(root, exist_ok=True)
    part = os.path.join(root, f".{filename}.part")
    urls = [url, *mirrors]
    failures = []
    for candidate in urls:
        try:
            _fetch(candidate, part, progress, timeout)
            for name, value in _expected(md5, sha256):
                got = calculate_hash(part, name)
                if got != value:
                    raise DownloadError(f"{candidate}: {name} checksum mismatch: expected {value}, got {got}")
        except (OSError, DownloadError, ValueError) as exc:
            with contextlib.suppress(OSError):
                if not _resumable(exc):
                    os.unlink(part)
            failures.append(f"  {candidate}: {exc}")
            continue
        os.replace(part, path)
        return path
    raise DownloadError(f"could not download {filename}:\n" + "\n".join(failures) + "\n"
                        + _manual_hint(urls, path, md5, sha256))


def _resumable(exc):
    """A dropped connection keeps the part file (the next attempt resumes); anything else discards it."""
    return isinstance(exc, DownloadError) and "connection closed" in str(exc)


# --- archives ------------------------------------------------------------------------------------
def _inside(root, name):
    target = os.path.realpath(os.path.join(root, name))
    return os.path.commonpath([os.path.realpath(root), target]) == os.path.realpath(root)


def _unsafe(archive, member, why):
    return DownloadError(f"refusing to extract {archive}: member {member!r} {why}")


def _check_room(archive, dest, total):
    """Refuse an archive whose members declare more bytes than the destination has free (a zip/tar bomb)."""
    free = shutil.disk_usage(dest).free
    if total > free:
        raise DownloadError(f"refusing to extract {archive}: its members declare {total} bytes, more than the "
                            f"{free} bytes free in {dest!r}")


def _extract_tar(archive, dest):
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for m in members:
            if os.path.isabs(m.name) or not _inside(dest, m.name):
                raise _unsafe(archive, m.name, "would be written outside the destination folder")
            if m.issym() or m.islnk():
                link = m.linkname if m.islnk() else os.path.join(os.path.dirname(m.name), m.linkname)
                if os.path.isabs(m.linkname) or not _inside(dest, link):
                    raise _unsafe(archive, m.name, f"links outside the destination folder ({m.linkname!r})")
            elif not (m.isfile() or m.isdir()):
                raise _unsafe(archive, m.name, "is a device, fifo or other special file")
        _check_room(archive, dest, sum(m.size for m in members if m.isfile()))
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(dest, members=members, **kwargs)


def _extract_zip(archive, dest):
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            if os.path.isabs(name) or name.startswith(("/", "\\")) or not _inside(dest, name):
                raise _unsafe(archive, name, "would be written outside the destination folder")
        _check_room(archive, dest, sum(i.file_size for i in zf.infolist()))
        zf.extractall(dest)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a .zip, a tar (optionally .gz/.bz2/.xz compressed) or a single .gz/.bz2/.xz file.

    Members that would land outside ``to_path`` (absolute paths, ``..``, links pointing out),
    special files, or members declaring more bytes than ``to_path`` has free make it raise
    :class:`DownloadError` before anything is written.

    Args:
        from_path: the archive.
        to_path: destination folder (default: the archive's folder).
        remove_finished: delete the archive afterwards.

    Returns:
        The destination folder (for a single compressed file: the decompressed file's path).

    Example:
        >>> import gzip, os, tempfile; from pathlib import Path
        >>> from ember.utils.download import extract_archive
        >>> root = tempfile.mkdtemp(); src = os.path.join(root, "a.txt.gz")
        >>> with gzip.open(src, "wb") as f: _ = f.write(b"hi")
        >>> Path(extract_archive(src)).read_bytes()
        b'hi'
    """
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(os.path.abspath(from_path)) if to_path is None else os.fspath(to_path)
    os.makedirs(to_path, exist_ok=True)
    lower = from_path.lower()
    try:
        if lower.endswith(".zip"):
            _extract_zip(from_path, to_path)
            out = to_path
        elif lower.endswith(_TAR_SUFFIXES):
            _extract_tar(from_path, to_path)
            out = to_path
        else:
            suffix = os.path.splitext(lower)[1]
            if suffix not in _COMPRESSORS:
                raise DownloadError(f"extract_archive: unknown archive type of {from_path!r} "
                                    f"(supported: .zip, {', '.join(_TAR_SUFFIXES)}, .gz, .bz2, .xz)")
            out = os.path.join(to_path, os.path.basename(from_path)[: -len(suffix)])
            tmp = out + ".part"
            with _COMPRESSORS[suffix](from_path, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
            os.replace(tmp, out)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, lzma.LZMAError, gzip.BadGzipFile, OSError) as exc:
        if isinstance(exc, FileNotFoundError) and not os.path.exists(from_path):
            raise
        raise DownloadError(f"extract_archive: {from_path!r} is corrupt or not a valid archive ({exc})") from exc
    if remove_finished:
        os.remove(from_path)
    return out


def download_and_extract_archive(url, download_root, extract_root=None, filename=None, md5=None, sha256=None,
                                 mirrors=(), remove_finished=False, progress=True):
    """:func:`download_url` then :func:`extract_archive` into ``extract_root`` (default ``download_root``).

    Example:
        >>> import gzip, os, tempfile; from pathlib import Path
        >>> from ember.utils.download import download_and_extract_archive
        >>> root = tempfile.mkdtemp()
        >>> with gzip.open(os.path.join(root, "x.gz"), "wb") as f: _ = f.write(b"data")
        >>> _ = download_and_extract_archive("http://127.0.0.1:9/x.gz", root)
        >>> Path(root, "x").read_bytes()
        b'data'
    """
    path = download_url(url, download_root, filename, md5=md5, sha256=sha256, mirrors=mirrors, progress=progress)
    return extract_archive(path, extract_root or download_root, remove_finished)
