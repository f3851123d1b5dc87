"""The application layer: the `omnistock` command, the UI server, the run summary and the
runtime set-up (Dagster home, crash recovery). Nothing below imports it (pyproject.toml's
import-linter contracts)."""
