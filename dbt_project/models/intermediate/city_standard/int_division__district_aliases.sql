{#- Every accepted spelling of a district (alias -> district code), derived from the division seeds only.
    The conformance in int_* models uses the same macro (district_aliases_sql); this table is there to inspect it. -#}
{{ district_aliases_sql() }}
