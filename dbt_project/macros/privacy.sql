{#-
  Personal information: pseudonyms, phone normalization and masks (identifier validation is in identifiers.sql).
  Raw names, ID numbers, phones and addresses stop in staging / intermediate; marts carry only these.
-#}

{#- pseudonym_salt(): the key of every pseudonym, as a SQL expression. The salt is never rendered into SQL: the
    profile's plugin (plugins/citybrain_salt.py) sets the DuckDB variable pseudonym_salt on every connection from
    CITYBRAIN_PSEUDONYM_SALT. Without it the first pseudonym computed fails with this message (parsing, compiling
    and models without personal data do not need it). Unit tests override this macro with a literal. -#}
{% macro pseudonym_salt() -%}
coalesce(cast(getvariable('pseudonym_salt') as varchar), cast(error('CITYBRAIN_PSEUDONYM_SALT is not set. '
    || 'Pseudonyms of citizen IDs and phones are keyed with it and it has no default: export '
    || 'CITYBRAIN_PSEUDONYM_SALT=<secret> (make demo sets a flagged demo value) and rerun. '
    || 'Changing it changes every pseudonym.') as varchar))
{%- endmacro %}

{#- pseudonym(expr): sha256 hex of salt || ':' || value; NULL when the value is NULL.
    `expr` must already be the normalized value (normalize_citizen_id / normalize_phone). -#}
{% macro pseudonym(expr) -%}
sha256({{ pseudonym_salt() }} || ':' || {{ expr }})
{%- endmacro %}

{#- normalize_phone(expr): digits only (spaces, dashes, dots, brackets removed), a +86 / 0086 country prefix
    stripped; a mobile given as 86 + 11 digits also loses its 86. -#}
{% macro normalize_phone(expr) -%}
nullif(regexp_replace(regexp_replace(regexp_replace(
    {{ clean_code(expr) }},
    '[\s\-\.()（）]', '', 'g'),
    '^(\+86|0086)', ''),
    '^86(1[3-9][0-9]{9})$', '\1'), '')
{%- endmacro %}

{#- mask_phone(expr): first 3 and last 4 digits kept, the middle masked: 13800138000 -> 138****8000.
    Numbers shorter than 8 characters are fully masked. `expr` is a normalized phone. -#}
{% macro mask_phone(expr) -%}
case
    when {{ expr }} is null then null
    when length({{ expr }}) < 8 then repeat('*', length({{ expr }}))
    else left({{ expr }}, 3) || repeat('*', length({{ expr }}) - 7) || right({{ expr }}, 4)
end
{%- endmacro %}
