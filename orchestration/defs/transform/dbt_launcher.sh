#!/bin/sh
# The dbt executable Dagster runs (resources.py). Before every build dagster-dbt asks
# `dbt --version`, only to learn dbt-core's major version, and each answer is a whole dbt
# start: ~2 s of imports in every pipeline run. resources.py exports the installed version
# (package metadata), so that one question is answered here; every other command is dbt.
if [ "$#" -eq 1 ] && [ "$1" = "--version" ] && [ -n "${OMNISTOCK_DBT_CORE_VERSION:-}" ]; then
    printf 'Core:\n  - installed: %s\n' "$OMNISTOCK_DBT_CORE_VERSION"
    exit 0
fi
exec "${OMNISTOCK_DBT_EXECUTABLE:-dbt}" "$@"
