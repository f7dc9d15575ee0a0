"""Record ids read from a request (a URL's path, its query string), for every app.

Any text may arrive where an id is expected. Python's ``isdigit`` accepts "²" (which ``int``
refuses), and a run of digits may be past what a table can hold (SQLite then raises an
overflow, not "no such row"): either was a server error. Here both are simply no id.
"""

# The largest id a table here can hold: a signed 64-bit integer (PostgreSQL's bigint, SQLite's
# INTEGER primary key).
MAX_ID = 2**63 - 1
_MAX_DIGITS = len(str(MAX_ID))


def parse_id(text) -> int | None:
    """The id ``text`` writes in ASCII digits, or None if it writes none a table could hold."""
    text = str(text)
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


class IdConverter:
    """``<id:pk>`` in a URL: Django's ``int``, but an id no table could hold matches nothing
    (a 404, as for any other missing record)."""

    regex = f"[0-9]{{1,{_MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        found = parse_id(value)
        if found is None:
            raise ValueError(value)  # Django's sign that the URL does not match
        return found

    def to_url(self, value) -> str:
        return str(value)
