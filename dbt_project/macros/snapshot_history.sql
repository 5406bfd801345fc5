{#-
  Full-snapshot sources (a department delivers its whole register each period): helpers of their history models.
-#}

{#- delete_snapshot_periods_gone_from(upstream_model, grain): post-hook of an incremental model rebuilt by whole
    snapshot periods (unique_key partition_key). delete+insert replaces every period the run selected; a period of
    the window that the upstream no longer has at all (its landed rows were all quarantined on a re-landing) has
    nothing to insert, so its built rows are deleted here. -#}
{% macro delete_snapshot_periods_gone_from(upstream_model, grain='month') -%}
{%- if execute and is_incremental() -%}
delete from {{ this }}
where {{ partition_window_filter('partition_key', grain=grain) }}
  and partition_key not in (select distinct partition_key from {{ ref(upstream_model) }})
{%- endif -%}
{%- endmacro %}

{#- delete_history_keys_gone_from(snapshots_model, key, valid_from): post-hook of a history (SCD type 2) model keyed
    by `key`. An incremental run replaces the history of every key it recomputed; a key that no landed snapshot
    holds any more (it was only in re-landed periods) has nothing to insert, so its versions are deleted here. Such
    a key's first version begins in a period of the window, so only those keys are looked up in the snapshots (a run
    whose window holds no period reads none of them). -#}
{% macro delete_history_keys_gone_from(snapshots_model, key, valid_from='valid_from', grain='month') -%}
{%- if execute and is_incremental() -%}
delete from {{ this }}
where {{ key }} in (
    select candidate.{{ key }}
    from (
        select {{ key }} from {{ this }} where {{ partition_window_filter(valid_from, grain=grain) }}
    ) as candidate
    left join (
        select {{ key }} from {{ ref(snapshots_model) }}
        where {{ key }} in (
            select {{ key }} from {{ this }} where {{ partition_window_filter(valid_from, grain=grain) }}
        )
    ) as landed on landed.{{ key }} = candidate.{{ key }}
    where landed.{{ key }} is null
)
{%- endif -%}
{%- endmacro %}
