"""The benchmark rows, in table order.  A row is a module with ID, TITLE
and run(ctx) -> benchlib.row.Row; add a module here to add a row."""

from . import blk, compute, exits, memory, net, rate, start

ALL = [start, memory, exits, compute, rate, net, blk]
