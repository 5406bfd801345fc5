{#-
  Value query of credit black-list entries per 1,000 enterprises (每千户企业失信黑名单数), per district (entries carry
  no street) and month in which credit lists were delivered: enterprise black-list entries in force at the month's
  end (or at the latest list's date, in the current month) over the operating enterprises registered in the
  district that month (dim_enterprise versions valid in the month), / 1,000.
-#}
with assessed_month as (
    select distinct cast({{ dbt.date_trunc('month', 'cast(partition_key as date)') }} as date) as month_start
    from {{ ref('fct_credit_list_entry') }}
),

as_of as (
    select
        month_start,
        least(
            cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date),
            (select max(as_of_date) from {{ ref('fct_credit_list_entry') }})
        ) as as_of_date
    from assessed_month
),

black_listed as (
    select as_of.month_start, entry.district_code, cast(null as varchar) as street_code, count(*) as numerator
    from {{ ref('fct_credit_list_entry') }} as entry
    inner join as_of
        on entry.listed_date <= as_of.as_of_date
        and (entry.removed_date is null or entry.removed_date > as_of.as_of_date)
        and (entry.valid_until is null or entry.valid_until >= as_of.as_of_date)
    where entry.subject_type = 'enterprise' and entry.list_type_code = 'black' and entry.district_code is not null
    group by as_of.month_start, entry.district_code
),

enterprise as (
    select
        assessed_month.month_start,
        enterprise.district_code,
        cast(null as varchar) as street_code,
        count(*) / 1000.0 as denominator
    from {{ ref('dim_enterprise') }} as enterprise
    inner join assessed_month
        on enterprise.valid_from <= assessed_month.month_start
        and (enterprise.valid_to is null or enterprise.valid_to > assessed_month.month_start)
    where enterprise.is_operating and enterprise.district_code is not null
    group by assessed_month.month_start, enterprise.district_code
)

{{ per_population('credit_blacklist_per_1k_enterprises', 'black_listed', 'enterprise') }}
