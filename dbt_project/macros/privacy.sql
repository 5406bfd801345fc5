{#-
  Personal information: pseudonyms, phone normalization and masks (identifier validation is in identifiers.sql).
  Raw names, ID numbers, phones and addresses stop in staging / intermediate; marts carry only these.
-#}

{#- pseudonym_salt(): the key of every pseudonym, from CITYBRAIN_PSEUDONYM_SALT. There is no default: a run that
    needs it without it fails here, with this message (parsing alone does not need it). -#}
{% macro pseudonym_salt() -%}
{%- set salt = env_var('CITYBRAIN_PSEUDONYM_SALT', '') -%}
{%- if execute and salt | trim == '' -%}
    {{ exceptions.raise_compiler_error(
        "CITYBRAIN_PSEUDONYM_SALT is not set. Pseudonyms of citizen IDs and phones are keyed with it and it has "
        ~ "no default: export CITYBRAIN_PSEUDONYM_SALT=<secret> (`make demo` sets a flagged demo value) and rerun. "
        ~ "Changing it changes every pseudonym."
    ) }}
{%- endif -%}
{{ return(salt) }}
{%- endmacro %}

{#- pseudonym(expr): sha256 hex of salt || ':' || value; NULL when the value is NULL.
    `expr` must already be the normalized value (normalize_citizen_id / normalize_phone). -#}
{% macro pseudonym(expr) -%}
sha256('{{ pseudonym_salt() | replace("'", "''") }}' || ':' || {{ expr }})
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
