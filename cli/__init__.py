"""The `metrics` command (Typer): one module per command, and the output formatting."""
