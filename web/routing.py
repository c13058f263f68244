"""The path convertor every id in an address goes through.

Starlette's `int` convertor takes digits of any length, and SQLite cannot hold an integer
beyond 19 digits (a 500 from an OverflowError). `{name:id}` takes 1 to 18 ASCII digits, as
`web.forms.whole_number` does for forms; anything longer matches no route, so it is a 404.
"""

from starlette.convertors import Convertor, register_url_convertor


class IdConvertor(Convertor[int]):
    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


# Registered on import of the `web` package, before any module builds its routes.
register_url_convertor("id", IdConvertor())
