"""ocfpy.records.Record: a slots class's constructor, by position, by name and with defaults."""

import pytest

from ocfpy.records import Record


class Point(Record):
    __slots__ = ("x", "y", "label")
    defaults = {"label": None}


class Point3(Point):
    __slots__ = ("z",)
    defaults = {**Point.defaults, "z": 0}


def test_fields_are_set_by_position_by_name_and_from_the_defaults():
    p = Point(1, y=2)
    assert (p.x, p.y, p.label) == (1, 2, None)
    assert Point(1, 2, "a").label == "a"


def test_a_subclass_appends_its_fields_to_its_bases():
    p = Point3(1, 2, "a", 3)
    assert (p.x, p.y, p.label, p.z) == (1, 2, "a", 3)
    assert Point3(1, 2).z == 0


@pytest.mark.parametrize("args, kw, message", [
    ((1,), {}, "missing field 'y'"),
    ((1, 2, 3, 4), {}, "takes 3 fields, 4 given"),
    ((1, 2), {"colour": "red"}, "no field 'colour'"),
    ((1, 2), {"x": 5}, "got 'x' twice"),
])
def test_wrong_arguments_are_a_type_error_naming_the_field(args, kw, message):
    with pytest.raises(TypeError, match=message):
        Point(*args, **kw)


def test_a_record_has_no_dict():
    with pytest.raises(AttributeError):
        Point(1, 2).other = 3
