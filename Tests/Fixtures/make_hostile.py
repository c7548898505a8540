#!/usr/bin/env python3
"""Makes one archive per attack of ../shared/design/threats.md ("Hostile media and
archives"), each named after the attack, in OUTDIR.

    make_hostile.py OUTDIR

Every archive also holds a harmless `readme.txt`, so a manifest signing the archive
shows that a valid signature over a hostile archive does not save it. Paths that
would land outside an extraction folder are named `passbox-escape-*`, so a test can
check that none of them appeared anywhere.

Made with Python's tarfile and zipfile, GNU tar (sparse), zip, 7z and cpio; some
zip structures are patched byte by byte (NUL names, lying headers, overlapping and
hidden entries).
"""
import io
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib

README = b"This delivery is harmless except for one entry.\n"


# --- helpers -----------------------------------------------------------------

def tar(path, members, fmt=tarfile.PAX_FORMAT):
    """members: list of (TarInfo-kwargs dict, data bytes or None)."""
    with tarfile.open(path, "w", format=fmt) as t:
        info = tarfile.TarInfo("readme.txt")
        info.size = len(README)
        t.addfile(info, io.BytesIO(README))
        for spec, data in members:
            info = tarfile.TarInfo(spec.pop("name"))
            for k, v in spec.items():
                setattr(info, k, v)
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)


def zip_(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as z:
        z.writestr("readme.txt", README)
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name), data, compress_type=compression)


def patch(path, old, new, count=-1):
    data = open(path, "rb").read()
    assert old in data, (path, old)
    assert len(old) == len(new)
    open(path, "wb").write(data.replace(old, new, count))


def cpio_name_bomb(path, gib=3):
    """A newc cpio header declaring a name of `gib` GiB, followed by as many GiB of
    'A', gzipped (concatenated gzip members, about 1 MB per GiB). libarchive 3.6 reads
    the whole name into one buffer: with 3 GiB, 9 GB of memory and a crash before
    passbox capped its memory; with 1 GiB (under the cap), a gigabyte filled before
    passbox bounded what one header may read."""
    import zlib
    def member(data, times=1):
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        return b"".join(c.compress(data) for _ in range(times)) + c.flush()
    fields = (1, 0o100644, 0, 0, 1, 0, 0, 0, 0, 0, 0, gib << 30, 0)
    header = ("070701" + "".join("%08X" % v for v in fields)).encode()
    names = member(b"A" * (64 << 20))
    with open(path, "wb") as f:
        f.write(member(header))
        for _ in range(16 * gib):
            f.write(names)


def run(cmd, cwd):
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpio_newc(path, entries):
    """entries: (name, mode, data) or (name, mode, data, ino, nlink): entries that share
    an inode number are hard links. Writes an SVR4 newc cpio with a trailer."""
    out = bytearray()
    ino = 1
    for entry in [("readme.txt", 0o100644, README)] + entries + [("TRAILER!!!", 0, b"")]:
        name, mode, data = entry[:3]
        inode, nlink = entry[3:] if len(entry) == 5 else (1000 + ino, 1)
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (inode, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(nb), 0))
        out += hdr.encode() + nb
        out += b"\0" * ((4 - len(out) % 4) % 4)
        out += data
        out += b"\0" * ((4 - len(out) % 4) % 4)
        ino += 1
    open(path, "wb").write(bytes(out))


# --- the zip structures ----------------------------------------------------------

def local_header(name, data_comp, crc, usize, method=8):
    nb = name.encode()
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data_comp), usize, len(nb), 0) + nb


def central_record(name, crc, csize, usize, offset, method=8):
    nb = name.encode()
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, csize, usize,
                       len(nb), 0, 0, 0, 0, 0, offset) + nb


def end_record(count, cd_size, cd_offset):
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_offset, 0)


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def overlapping_zip(path, copies=200, kernel=24 << 20):
    """zbsm-style: one compressed kernel, many central entries pointing at it."""
    data = b"\0" * kernel
    comp, crc = deflate(data), zlib.crc32(data)
    body = local_header("kernel.bin", comp, crc, len(data)) + comp
    cd = b"".join(central_record("kernel.bin" if i == 0 else "copy%04d.bin" % i, crc, len(comp), len(data), 0)
                  for i in range(copies))
    open(path, "wb").write(body + cd + end_record(copies, len(cd), len(body)))


def hidden_entry_zip(path):
    """A local entry that the central directory does not list (a streaming
    extractor sees it, a central-directory reader does not)."""
    a, h = README, b"#!/bin/sh\necho hidden payload\n"
    ca, ch = deflate(a), deflate(h)
    la = local_header("readme.txt", ca, zlib.crc32(a), len(a)) + ca
    lh = local_header("hidden.sh", ch, zlib.crc32(h), len(h)) + ch
    cd = central_record("readme.txt", zlib.crc32(a), len(ca), len(a), 0)
    body = la + lh
    open(path, "wb").write(body + cd + end_record(1, len(cd), len(body)))


# --- fixtures ----------------------------------------------------------------

def make(out):
    j = lambda name: os.path.join(out, name)
    work = tempfile.mkdtemp()
    try:
        # Names that climb out.
        tar(j("path-traversal-dotdot.tar"), [({"name": "../../../../tmp/passbox-escape-dotdot"}, b"x")])
        tar(j("path-traversal-absolute.tar"), [({"name": "/tmp/passbox-escape-absolute"}, b"x")])
        zip_(j("path-traversal-drive-letter.zip"), [("C:/Windows/passbox-escape-drive.txt", b"x")])
        zip_(j("path-traversal-backslash.zip"), [("..\\..\\passbox-escape-backslash.txt", b"x")])
        tar(j("path-traversal-control-characters.tar"), [({"name": "fw\x1b[2K\rreadme.txt"}, b"x")])
        zip_(j("path-traversal-nul-in-name.zip"), [("safe.txtX../../passbox-escape-nul", b"x")])
        patch(j("path-traversal-nul-in-name.zip"), b"safe.txtX../", b"safe.txt\0../")
        tar(j("path-traversal-overlong-name.tar"), [({"name": "d/" * 2500 + "passbox-escape-long"}, b"x")])
        tar(j("path-traversal-directory-entry.tar"), [({"name": "docs/../../passbox-escape-dir", "type": tarfile.DIRTYPE}, None)])

        # Links.
        tar(j("link-escape-symlink-absolute.tar"), [({"name": "etc", "type": tarfile.SYMTYPE, "linkname": "/etc"}, None)])
        tar(j("link-escape-symlink-dotdot.tar"), [({"name": "up", "type": tarfile.SYMTYPE, "linkname": "../../../.."}, None)])
        tar(j("link-escape-through-symlink.tar"), [  # CVE-2018-12015
            ({"name": "tmpdir", "type": tarfile.SYMTYPE, "linkname": "/tmp"}, None),
            ({"name": "tmpdir/passbox-escape-through-link"}, b"written through the link\n")])
        tar(j("link-escape-symlink-chain.tar"), [  # each link looks inside on its own
            ({"name": "a/b/c/hop", "type": tarfile.SYMTYPE, "linkname": "../../.."}, None),
            ({"name": "entry", "type": tarfile.SYMTYPE, "linkname": "a/b/c/hop/../passbox-escape-chain"}, None)])
        tar(j("link-escape-symlink-loop.tar"), [
            ({"name": "ping", "type": tarfile.SYMTYPE, "linkname": "pong"}, None),
            ({"name": "pong", "type": tarfile.SYMTYPE, "linkname": "ping"}, None)])
        tar(j("link-escape-hardlink.tar"), [({"name": "passwd", "type": tarfile.LNKTYPE, "linkname": "../../../etc/passwd"}, None)])
        tar(j("link-escape-hardlink-through-symlink.tar"), [
            ({"name": "sys", "type": tarfile.SYMTYPE, "linkname": "/etc"}, None),
            ({"name": "shadow", "type": tarfile.LNKTYPE, "linkname": "sys/shadow"}, None)])

        # Special files and setuid.
        tar(j("special-file-char-device.tar"), [({"name": "mem", "type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 1}, None)])
        tar(j("special-file-block-device.tar"), [({"name": "sda", "type": tarfile.BLKTYPE, "devmajor": 8, "devminor": 0}, None)])
        tar(j("special-file-fifo.tar"), [({"name": "pipe", "type": tarfile.FIFOTYPE}, None)])
        cpio_newc(j("special-file-socket.cpio"), [("sock", 0o140755, b"")])
        tar(j("setuid-binary.tar"), [({"name": "bin/su", "mode": 0o4755}, b"\x7fELF fake")])
        tar(j("setgid-directory.tar"), [({"name": "shared", "type": tarfile.DIRTYPE, "mode": 0o2775}, None)])
        # Hard links with data (newc keeps a link group's data on its last name): an ELF
        # on the link, its first name empty; and a link whose data replaces its target's.
        cpio_newc(j("hardlink-hides-elf.cpio"), [("bin/tool", 0o100755, b"", 77, 2),
                                                 ("bin/tool-link", 0o100755, b"\x7fELF\x02\x01\x01" + b"\0" * 57, 77, 2)])
        cpio_newc(j("hardlink-data-replaces-target.cpio"), [("fw.bin", 0o100644, b"good firmware", 78, 2),
                                                            ("fw-copy.bin", 0o100644, b"evil firmware", 78, 2)])

        # Bombs.
        zip_(j("bomb-high-ratio.zip"), [("zeros.img", b"\0" * (64 << 20))])
        inner = j("level0.zip")
        zip_(inner, [("payload.bin", b"\0" * 1024)])
        for level in range(1, 10):  # 42.zip-style: ten levels deep
            nxt = j("level%d.zip" % level)
            with zipfile.ZipFile(nxt, "w", zipfile.ZIP_DEFLATED) as z:
                z.write(inner, "a.zip")
                z.write(inner, "b.zip")
            os.remove(inner)
            inner = nxt
        os.rename(inner, j("bomb-nested-depth.zip"))
        overlapping_zip(j("bomb-overlapping-entries.zip"))
        zip_(j("bomb-understated-size.zip"), [("small.bin", b"\0" * (64 << 20))])
        size = struct.pack("<I", 64 << 20)
        patch(j("bomb-understated-size.zip"), size, struct.pack("<I", 100))
        sparse = os.path.join(work, "disk.img")
        with open(sparse, "wb") as f:
            f.truncate(100 << 30)  # 100 GiB of holes
        run(["tar", "--sparse", "-cf", j("bomb-sparse-hole.tar"), "disk.img"], cwd=work)
        tar(j("bomb-entry-count.tar"), [({"name": "many/%05d" % i}, b"") for i in range(3000)])
        tar(j("bomb-total-bytes.tar"), [({"name": "big%d.bin" % i}, os.urandom(4 << 20)) for i in range(4)])
        cpio_name_bomb(j("bomb-cpio-name.cpio.gz"))
        cpio_name_bomb(j("bomb-cpio-name-1gib.cpio.gz"), gib=1)

        # Ambiguity.
        tar(j("duplicate-entry-same-path.tar"), [({"name": "fw.bin"}, b"good firmware"), ({"name": "fw.bin"}, b"evil firmware")])
        with zipfile.ZipFile(j("duplicate-entry-same-path.zip"), "w") as z:
            z.writestr("readme.txt", README)
            z.writestr("fw.bin", b"good firmware")
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                z.writestr("fw.bin", b"evil firmware")
        zip_(j("zip-local-header-mismatch.zip"), [("fw.bin", b"firmware")])
        data = bytearray(open(j("zip-local-header-mismatch.zip"), "rb").read())
        first = data.find(b"PK\x03\x04" , data.find(b"PK\x03\x04") + 4)  # fw.bin's local header
        name_at = first + 30
        assert bytes(data[name_at:name_at + 6]) == b"fw.bin"
        data[name_at:name_at + 6] = b"ev.bin"
        open(j("zip-local-header-mismatch.zip"), "wb").write(bytes(data))
        hidden_entry_zip(j("zip-hidden-local-entry.zip"))
        zip_(j("collision-case.zip"), [("README.TXT", b"another readme")])
        tar(j("collision-unicode-normalisation.tar"), [({"name": "cafe\u0301.cfg"}, b"nfd"), ({"name": "caf\u00e9.cfg"}, b"nfc")])

        # Broken input: each supported format cut short or damaged.
        src = os.path.join(work, "src")
        os.makedirs(src)
        open(os.path.join(src, "readme.txt"), "wb").write(README)
        open(os.path.join(src, "fw.bin"), "wb").write(os.urandom(300_000))
        made = {
            "tar": ["tar", "-cf", "{o}", "."], "tar.gz": ["tar", "-czf", "{o}", "."],
            "tar.bz2": ["tar", "-cjf", "{o}", "."], "tar.xz": ["tar", "-cJf", "{o}", "."],
            "tar.zst": ["tar", "--zstd", "-cf", "{o}", "."], "zip": ["zip", "-qr", "{o}", "."],
            "7z": ["7z", "a", "-bd", "-bso0", "-bsp0", "{o}", "."],
            "iso": ["bsdtar", "-cf", "{o}", "--format", "iso9660", "."],
            "cpio": ["bsdtar", "-cf", "{o}", "--format", "newc", "."],
            "ar": ["ar", "rc", "{o}", "readme.txt", "fw.bin"],
        }
        for ext, cmd in made.items():
            full = os.path.join(work, "whole." + ext)
            run([c.replace("{o}", full) for c in cmd], cwd=src)
            data = open(full, "rb").read()
            open(j("corrupt-truncated." + ext), "wb").write(data[: int(len(data) * 0.6)])
        # Damage inside a deflate stream of compressible data (random data would be
        # stored, not compressed, and only the unchecked CRC would notice).
        text = b"".join(b"step %06d: pressure 30 mTorr, rf 850 W\n" % i for i in range(20000))
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            info = tarfile.TarInfo("recipe.txt")
            info.size = len(text)
            t.addfile(info, io.BytesIO(text))
        import gzip
        data = bytearray(gzip.compress(raw.getvalue(), 9))
        for i in range(len(data) // 2, len(data) // 2 + 16):
            data[i] ^= 0x5A
        open(j("corrupt-damaged-deflate.tar.gz"), "wb").write(bytes(data))
        open(j("corrupt-not-a-zip.zip"), "wb").write(b"PK\x03\x04" + os.urandom(2000))

        # Encrypted entries.
        run(["zip", "-q", "-P", "secret", j("encrypted-zipcrypto.zip"), "readme.txt", "fw.bin"], cwd=src)
        run(["7z", "a", "-bd", "-bso0", "-bsp0", "-psecret", j("encrypted-7z-data.7z"), "."], cwd=src)
        run(["7z", "a", "-bd", "-bso0", "-bsp0", "-psecret", "-mhe=on", j("encrypted-7z-headers.7z"), "."], cwd=src)

        # libarchive 3.6 does not check gzip CRCs or ISIZEs; passbox (ISA-L) does.
        whole = open(os.path.join(work, "whole.tar.gz"), "rb").read()
        shutil.copy(os.path.join(work, "whole.tar.gz"), j("gzip-crc-original.tar.gz"))
        def damaged(at):
            data = bytearray(whole)
            data[at] ^= 0xFF
            return bytes(data)
        open(j("gzip-crc-damaged.tar.gz"), "wb").write(damaged(-8))
        open(j("gzip-isize-damaged.tar.gz"), "wb").write(damaged(-4))
        # Cut inside the trailer: every byte of the tar is there, the CRC is not.
        open(j("gzip-truncated-trailer.tar.gz"), "wb").write(whole[:-5])
        # The same tar in gzip members (as `cat a.gz b.gz` and pigz make), with the
        # optional header fields (FEXTRA, FNAME, FCOMMENT, FHCRC) RFC 1952 allows.
        plain = gzip.decompress(whole)
        def member(data, name=b"", comment=b"", extra=b"", hcrc=False):
            flags = (0x02 if hcrc else 0) | (0x04 if extra else 0) | (0x08 if name else 0) | (0x10 if comment else 0)
            head = b"\x1f\x8b\x08" + bytes([flags]) + b"\0\0\0\0\0\xff"
            if extra:
                head += struct.pack("<H", len(extra)) + extra
            if name:
                head += name + b"\0"
            if comment:
                head += comment + b"\0"
            if hcrc:
                head += struct.pack("<H", zlib.crc32(head) & 0xFFFF)
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            return head + c.compress(data) + c.flush() + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
        cuts = [0, 100, 513, len(plain) // 2, len(plain)]
        open(j("gzip-multi-member.tar.gz"), "wb").write(b"".join(member(plain[a:b]) for a, b in zip(cuts, cuts[1:])))
        fields = dict(name=b"whole.tar", comment=b"made for passbox " * 300, extra=b"PB\x04\x00test" * 50, hcrc=True)
        open(j("gzip-header-fields.tar.gz"), "wb").write(member(plain, **fields))
        data = bytearray(member(plain, **fields))
        data[12 + 2 + 4] ^= 0x01  # a byte of FEXTRA: only the header CRC16 notices
        open(j("gzip-header-crc-damaged.tar.gz"), "wb").write(bytes(data))
        # A damaged .tar.gz inside a tar: gzip members inside archives are checked too.
        with tarfile.open(j("gzip-crc-damaged-nested.tar"), "w", format=tarfile.GNU_FORMAT) as t:
            inner = damaged(-8)
            info = tarfile.TarInfo("parts/inner.tar.gz")
            info.size = len(inner)
            t.addfile(info, io.BytesIO(inner))
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    make(out)
