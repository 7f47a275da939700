"""The pure rules of attachments: names made safe, the size limit counted as Exchange counts
it, which files ride inline, and a zip of per-row files read defensively."""

from __future__ import annotations

import asyncio
import io
import zipfile

import pytest

from bot.domain.attachments import MB, clean_name, describe, encoded_size, matches, size_problem
from bot.flow import bundles
from bot.graph.message import Attachment, MailMessage


@pytest.mark.parametrize(
    ("given", "kept"),
    [("../../etc/passwd", "passwd"), ("C:\\x\\a.pdf", "a.pdf"), ("a\r\nb.txt", "ab.txt"),
     ("   ", "attachment")],
)  # fmt: skip
def test_file_names_lose_paths_and_control_characters(given: str, kept: str) -> None:
    assert clean_name(given) == kept


def test_the_limit_counts_the_encoded_size_so_27_mb_fits_and_27_point_5_does_not() -> None:
    limit = 35 * MB
    fits = describe("a.bin", None, b"\0" * (26 * MB)).meta
    too_big = describe("b.bin", None, b"\0" * (27 * MB)).meta

    assert encoded_size(3) == 4
    assert size_problem([fits], 0, limit) is None
    problem = size_problem([too_big], 0, limit)
    assert problem is not None
    assert "message size limit is 35.0 MB" in problem


def test_bytes_are_checked_against_their_description() -> None:
    file = describe("a.pdf", "application/pdf", b"approved")

    assert matches(file.meta, b"approved")
    assert not matches(file.meta, b"approvee")


def test_small_files_ride_inline_and_large_ones_do_not() -> None:
    def message(*sizes: int, body: str = "<p>b</p>") -> MailMessage:
        files = tuple(Attachment(f"f{i}", "x/y", b"\0" * s) for i, s in enumerate(sizes))
        return MailMessage("m-1", "s", body, attachments=files)

    assert message(1024).attachments_inline
    assert "attachments" in message(1024).to_graph()
    assert not message(2 * MB, 1 * MB).attachments_inline  # 3 MB together
    # under 3 MB of files, but with a long body over Graph's 4 MB request once encoded
    big_but_under_3 = message(int(2.99 * MB), body="<p>" + "x" * 100_000 + "</p>")
    assert not big_but_under_3.attachments_inline
    assert "attachments" not in big_but_under_3.to_graph()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_is_found_by_full_name_or_a_unique_base_name() -> None:
    indexed = bundles.index(_zip({"a/x.pdf": b"1", "b/x.pdf": b"2", "c/y.pdf": b"3"}))

    assert isinstance(indexed, bundles.Bundle)
    assert indexed.find("a/x.pdf") == "a/x.pdf"
    assert indexed.find("y.pdf") == "c/y.pdf"
    assert indexed.find("x.pdf") is None  # two files share the name: say which


def test_something_that_is_not_a_zip_is_named_so() -> None:
    assert bundles.index(b"PK not really") == "it is not a zip file Mailroom can read"


def test_a_member_inflating_past_its_declared_size_is_refused() -> None:
    data = bytearray(_zip({"bomb.bin": b"\0" * 100_000}))
    # Lie in the central directory: declare 10 bytes for the 100 KB member.
    at = data.rfind(b"PK\x01\x02")
    data[at + 24 : at + 28] = (10).to_bytes(4, "little")

    indexed = bundles.index(bytes(data))
    assert isinstance(indexed, bundles.Bundle)
    assert indexed.sizes["bomb.bin"] == 10
    result = asyncio.run(bundles.extract(bytes(data), ["bomb.bin"]))

    assert isinstance(result, str)
