{#-
  Identifiers of the common standard: citizen ID (GB 11643-1999), unified social
  credit code (GB 32100-2015), mobile phone. Validators only flag: invalid values are kept, never dropped, because
  real registries hold some that fail the check.
  Every validator takes an already normalized expression (normalize_*): validating raw text would make the result
  depend on how a department spaced or cased its export. NULL in, NULL out (absent is not invalid).
  Checks are unrolled with Jinja into plain arithmetic so DuckDB evaluates them vectorized, with no UDF.
-#}

{#- normalize_citizen_id(expr): half-width, no spaces, upper case (a trailing x becomes X). -#}
{% macro normalize_citizen_id(expr) -%}
upper({{ clean_code(expr) }})
{%- endmacro %}

{#- citizen_id_is_valid(expr): NULL when absent; true when 17 digits + check character and the check character
    is '10X98765432'[(sum of digit_i * weight_i) mod 11] with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
    Upper case only (a lower-case x is false): pass normalize_citizen_id(...). Birth date and address code are
    not checked here. -#}
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

{#- normalize_uscc(expr): half-width, no spaces, upper case (codes are often typed in lower case). -#}
{% macro normalize_uscc(expr) -%}
upper({{ clean_code(expr) }})
{%- endmacro %}

{#- uscc_is_valid(expr): NULL when absent; false unless 18 characters of the code alphabet
    0-9 A-H J-N P-R T U W X Y (I O Z S V are excluded by the standard as look-alikes of 1 0 2 5 U);
    true when the 18th character has the check value 31 - (sum of value_i * weight_i mod 31), 31 meaning 0,
    where value_i is the position in that alphabet (0..30). Upper case only: pass normalize_uscc(...).
    Only the alphabet is checked, not the structure: registration authority codes such as N (agriculture) or
    Y (other) are letters, so the first 8 characters are not forced to be digits (python-stdnum forces it). -#}
{% macro uscc_is_valid(expr) -%}
{%- set alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY' -%}
{%- set weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] -%}
case
    when {{ expr }} is null then null
    when not regexp_full_match({{ expr }}, '[0-9A-HJ-NPQRTUWXY]{18}') then false
    {#- value_i = strpos - 1; the outer % 31 maps a check value of 31 to 0. #}
    else substr('{{ alphabet }}', cast((31 - (
        {%- for w in weights %}
        {% if not loop.first %}+ {% endif %}(strpos('{{ alphabet }}', substr({{ expr }}, {{ loop.index }}, 1)) - 1) * {{ w }}
        {%- endfor %}
    ) % 31) % 31 as integer) + 1, 1) = substr({{ expr }}, 18, 1)
end
{%- endmacro %}

{#- mobile_phone_is_valid(expr): NULL when absent; true for a mainland mobile number, 1 + [3-9] + 9 digits.
    `expr` must already be normalize_phone(...) output, which strips separators and the +86 / 0086 prefix. -#}
{% macro mobile_phone_is_valid(expr) -%}
regexp_full_match({{ expr }}, '1[3-9][0-9]{9}')
{%- endmacro %}
