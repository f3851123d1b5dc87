"""`python -m orchestration.defs.transform`: prepare the dbt manifest (runs `dbt parse`)."""

from .project import prepare_manifest

if __name__ == "__main__":
    print(prepare_manifest())
