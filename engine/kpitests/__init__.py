"""KPI tests (`metrics test`): given these rows, these values.

:mod:`.records` holds the test as written and what preparing it makes, :mod:`.cases` prepares
every test of a project (pure: no database), :mod:`.given` types each test's rows and checks
them against what the definitions read, :mod:`.needs` finds which tables and columns a KPI
reads, :mod:`.data` parses cells, periods and expected values. Running the prepared tests
needs a database: ``metrics test`` loads each test's rows into DuckDB in memory.
"""
