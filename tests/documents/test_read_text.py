"""How a document file is read: UTF-8 with or without a byte-order mark, NULs removed, one line when it cannot be."""

from __future__ import annotations

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.documents.parse import read_text


def test_nul_characters_are_removed_and_a_bom_is_dropped(tmp_path):
    path = tmp_path / "doc.md"
    path.write_bytes(b"\xef\xbb\xbf# Summary\nA \x00NUL and \xc3\xa9t\xc3\xa9\n")
    assert read_text(path) == "# Summary\nA NUL and été\n"


def test_a_file_that_is_not_utf8_is_one_line_naming_the_line(tmp_path):
    path = tmp_path / "doc.md"
    path.write_bytes(b"# Summary\nfine\nbad \xed\xa0\x80 surrogate\n")
    with pytest.raises(InvalidInput, match=r"doc.md: not UTF-8 text \(invalid byte at line 3\)"):
        read_text(path)
