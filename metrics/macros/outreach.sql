{# Macros of the outreach and pipeline-stage KPIs (metrics/outreach.yml, pipeline_stages.yml). #}

{#- Business seconds of a timestamp: counted from Monday 1969-12-29, Monday to Friday from
    `day_start` to `day_end` o'clock, in the timestamp's own clock. The day number d (days
    since 1970-01-01, a Thursday) comes from date_diff, the weekday from (d + 3) % 7 (0 is
    Monday), the time of day from epoch(): date_diff, %, epoch() and CASE only, which every
    dialect computes (floor() is not in SQLite's core). -#}
{% macro business_seconds(ts, day_start=9, day_end=17) -%}
{%- set open = day_start * 3600 -%}{%- set hours = (day_end - day_start) * 3600 -%}
{%- set d = "date_diff('day', cast('1970-01-01' as date), cast(" ~ ts ~ " as date))" -%}
{%- set dow = "((" ~ d ~ " + 3) % 7)" -%}
{%- set clock = "(epoch(" ~ ts ~ ") - 86400 * " ~ d ~ ")" -%}
(({{ d }} + 3 - {{ dow }}) / 7 * {{ 5 * hours }}
 + (case when {{ dow }} < 5 then {{ dow }} else 5 end) * {{ hours }}
 + case when {{ dow }} >= 5 then 0
        when {{ clock }} <= {{ open }} then 0
        when {{ clock }} >= {{ open + hours }} then {{ hours }}
        else {{ clock }} - {{ open }} end)
{%- endmacro %}

{#- Business hours between two timestamps: Monday to Friday, `day_start` to `day_end`
    o'clock (9 to 17 by default), in the timestamps' own clock (UTC for the sample; pass
    local-time expressions to count in a time zone); holidays are not known. The difference
    of the two moments' business seconds, so weekends, nights and whole weeks in between
    count for what they are; 0 when both fall outside business hours with none between. -#}
{% macro business_hours_between(start, end, day_start=9, day_end=17) -%}
({{ business_seconds(end, day_start, day_end) }} - {{ business_seconds(start, day_start, day_end) }}) / 3600.0
{%- endmacro %}

{#- An aggregate: the rank of the value `column` takes on the group's latest row (latest
    `time`), with `values` listed from the highest rank down to 0: for ['positive',
    'neutral', 'negative'], 2 when the latest reply is positive. Rows at the same latest
    time rank as the highest of them; a latest value not listed gives null. Comparisons of
    max() and CASE only: portable where arg_max / max_by is not (PostgreSQL, MySQL, SQLite). -#}
{% macro latest_rank(column, values, time) -%}
(case
{%- for value in values %} when max({{ time }}) = max(case when {{ column }} = '{{ value }}' then {{ time }} end) then {{ values | length - loop.index }}
{%- endfor %} end)
{%- endmacro %}
