"""Strict input reading: UTF-8 only, YAML without duplicate keys, CSV numbers that are numbers."""

from __future__ import annotations

import pytest

from model.readers import InputFileError, finite_number, load_yaml, read_csv, read_text


def _problems(path) -> list[tuple[str, str]]:
    with pytest.raises(InputFileError) as info:
        load_yaml(path)
    return info.value.problems


def test_duplicate_keys_are_named_with_their_path_and_lines(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("code: BGD\nname: Bangladesh\nparameters:\n  nmr:\n    value: 1\n    value: 2\nname: Atlantis\n")
    assert _problems(path) == [
        ("name", "duplicate key (lines 2 and 7): YAML would keep only the last one silently; remove one"),
        ("parameters.nmr.value", "duplicate key (lines 5 and 6): YAML would keep only the last one silently; "
                                 "remove one"),
    ]


def test_same_key_in_different_mappings_and_merge_keys_are_fine(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("base: &b {value: 1, unit: x}\na: {value: 2}\nb:\n  <<: *b\n  value: 3\nc: *b\n")
    assert load_yaml(path) == {"base": {"value": 1, "unit": "x"}, "a": {"value": 2},
                               "b": {"value": 3, "unit": "x"}, "c": {"value": 1, "unit": "x"}}


def test_bytes_that_are_not_utf8_are_named(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"name: ok\nnote: caf" + b"\xe9 au lait\n")  # Latin-1 e-acute
    assert _problems(path) == [("line 2", "not UTF-8: byte 0xe9 at offset 18 is not valid UTF-8; "
                                          "save the file as UTF-8")]


def test_a_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: ok\n")
    assert read_text(path) == "name: ok\n" and load_yaml(path) == {"name": "ok"}


def test_unsafe_tags_and_syntax_errors_are_refused(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("x: !!python/object/apply:os.system ['true']\n")
    ((key, reason),) = _problems(path)
    assert key == "line 1" and reason.startswith("not valid YAML: could not determine a constructor")
    path.write_text("a: 1\nx: [1, 2\n")
    ((key, reason),) = _problems(path)
    assert key == "line 3" and reason.startswith("not valid YAML: while parsing a flow sequence")


@pytest.mark.parametrize("text,expected", [("1.5", 1.5), (" 2 ", 2.0), ("N/A", None), ("", None),
                                           ("nan", None), ("inf", None), ("-1e400", None), ("1e3", 1000.0)])
def test_finite_number(text, expected):
    assert finite_number(text) == expected


def test_csv_needs_its_columns_and_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("year,value\n")
    with pytest.raises(InputFileError, match="missing column"):
        read_csv(path, ("year", "index_value"))
    with pytest.raises(InputFileError, match="no data rows"):
        read_csv(path, ("year",))
    path.write_text("year,value\n2020,1\n2021,2\n")
    assert read_csv(path, ("year",)) == [(2, {"year": "2020", "value": "1"}), (3, {"year": "2021", "value": "2"})]
