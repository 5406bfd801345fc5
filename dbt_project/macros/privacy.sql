{#-
  Personal information: citizen ID validation (GB 11643-1999), pseudonyms and phone masks.
  Raw names, ID numbers, phones and addresses stop in staging / intermediate; marts carry only these.
-#}

{#- normalize_citizen_id(expr): half-width, no spaces, upper case (a trailing x becomes X). -#}
{% macro normalize_citizen_id(expr) -%}
upper({{ clean_code(expr) }})
{%- endmacro %}

{#- citizen_id_is_valid(expr): NULL when absent; true when 17 digits + check character and the check character
    is '10X98765432'[(sum of digit_i * weight_i) mod 11] with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
    `expr` should already be normalized (normalize_citizen_id). -#}
{% macro citizen_id_is_valid(expr) -%}
{%- set weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] -%}
case
    when {{ expr }} is null then null
    when not regexp_full_match({{ expr }}, '[0-9]{17}[0-9X]') then false
    else substr('10X98765432', cast((
        {%- for w in weights %}
        {% if not loop.first %}+ {% endif %}try_cast(substr({{ expr }}, {{ loop.index }}, 1) as integer) * {{ w }}
        {%- endfor %}
    ) % 11 as integer) + 1, 1) = substr({{ expr }}, 18, 1)
end
{%- endmacro %}

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
