"""vmon benchmark library: running programs, parsing their output,
statistics and the report (table, JSON, chart).  Standard library only."""
