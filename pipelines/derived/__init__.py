"""What the source contracts determine, derived from them: the dbt files (`dbt_files`) and the landing checks
(`landing_suites`). Nothing here is written by hand per source; see docs/architecture.md, "Derived from contracts".
"""
