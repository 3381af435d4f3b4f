"""The benchmark rows, in table order.  A row is a module with ID, TITLE
and run(ctx) -> benchlib.row.Row; add a module here to add a row."""

from . import compute, exits, memory, rate, start

ALL = [start, memory, exits, compute, rate]
