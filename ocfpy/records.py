"""Plain value records: a class that names its fields in ``__slots__`` gets a
constructor that sets them, instead of writing ``self.x = x`` for each.

Agents build these on their monitor paths (netlink replies, HTTP responses,
HAProxy's process list), so this module imports nothing; a dataclass would
cost ``dataclasses`` and ``inspect`` at import.

Example::

    class Link(Record):
        __slots__ = ("index", "name", "operstate")
        defaults = {"operstate": "unknown"}

    Link(2, "eth0")                  # operstate "unknown"
    Link(2, name="eth0", operstate="up")
"""

__all__ = ["Record"]


class Record:
    """Fields are the ``__slots__`` of the class and its record bases, in
    order; the constructor takes them by position or by name. ``defaults``
    maps a field to the value it takes when not given (shared by every
    instance: give immutable values only); a field without one is required."""

    __slots__ = ()
    defaults = {}
    _fields = ()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls._fields = tuple(name for klass in reversed(cls.__mro__)
                            for name in klass.__dict__.get("__slots__", ()))

    def __init__(self, *values, **named):
        fields = self._fields
        kind = type(self).__name__
        if len(values) > len(fields):
            raise TypeError(f"{kind}() takes {len(fields)} fields, {len(values)} given")
        given = dict(zip(fields, values))
        for name, value in named.items():
            if name not in fields:
                raise TypeError(f"{kind}() has no field {name!r}")
            if name in given:
                raise TypeError(f"{kind}() got {name!r} twice")
            given[name] = value
        for name in fields:
            if name in given:
                setattr(self, name, given[name])
            elif name in self.defaults:
                setattr(self, name, self.defaults[name])
            else:
                raise TypeError(f"{kind}() missing field {name!r}")
