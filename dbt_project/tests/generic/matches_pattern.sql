{#- Every non-NULL value fully matches a regular expression (RE2). Used to prove de-identification: pseudonyms are
    64 hex characters, phones are masked. -#}
{% test matches_pattern(model, column_name, pattern) %}
select {{ column_name }} as value
from {{ model }}
where {{ column_name }} is not null
  and not regexp_full_match(cast({{ column_name }} as varchar), '{{ pattern }}')
{% endtest %}
