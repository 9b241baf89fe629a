{# Macros of the outreach and pipeline-stage KPIs (metrics/outreach.yml, pipeline_stages.yml). #}

{#- Business hours between two timestamps: Monday to Friday, from `day_start` to `day_end`
    o'clock, in the timestamps' own clock (UTC for the sample; pass local-time expressions to
    count in a time zone); holidays are not known. Each moment is mapped to the business
    seconds since the Monday 1969-12-29 (days since 1970-01-01 + 3 is a count of days from
    a Monday), so the difference is the business time between them whatever the days,
    weekends and hours in between: 0 when both fall outside business hours with none
    between. Plain arithmetic on epoch() and floor(), so every dialect computes it. -#}
{% macro business_seconds(ts, day_start=9, day_end=17) -%}
{%- set open = day_start * 3600 -%}{%- set hours = (day_end - day_start) * 3600 -%}
{%- set e = "floor(epoch(" ~ ts ~ "))" -%}{%- set d = "floor(epoch(" ~ ts ~ ") / 86400)" -%}
{%- set w = "floor((" ~ d ~ " + 3) / 7)" -%}{%- set dow = "(" ~ d ~ " + 3 - 7 * " ~ w ~ ")" -%}
({{ w }} * {{ 5 * hours }}
 + (case when {{ dow }} < 5 then {{ dow }} else 5 end) * {{ hours }}
 + case when {{ dow }} >= 5 then 0
        when {{ e }} - 86400 * {{ d }} <= {{ open }} then 0
        when {{ e }} - 86400 * {{ d }} >= {{ open + hours }} then {{ hours }}
        else {{ e }} - 86400 * {{ d }} - {{ open }} end)
{%- endmacro %}

{% macro business_hours_between(start, end, day_start=9, day_end=17) -%}
({{ business_seconds(end, day_start, day_end) }} - {{ business_seconds(start, day_start, day_end) }}) / 3600.0
{%- endmacro %}

{#- The code (an integer 0..9) of the latest row of a group: the one with the latest `time`,
    to the second (at the same second, the higher code). An aggregate: per prospect, the
    sentiment code of their latest reply. max(seconds x 10 + code) is reached at the latest
    second, by its highest code; less 10 x the latest second, that code is left. Portable
    where arg_max / max_by is not (PostgreSQL, MySQL, SQLite). -#}
{% macro latest_code(code, time) -%}
(max(floor(epoch({{ time }})) * 10 + {{ code }}) - 10 * max(floor(epoch({{ time }}))))
{%- endmacro %}
