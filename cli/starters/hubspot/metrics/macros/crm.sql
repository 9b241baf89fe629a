{# Macros over the vars of project.yml: the metrics call these, so a customised portal changes vars only. #}
{% macro quoted(values) %}{% for v in values %}'{{ v | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}{% endmacro %}
{% macro is_won() %}deal_pipeline_stage_id in ({{ quoted(var("won_stages")) }}){% endmacro %}
{% macro is_lost() %}deal_pipeline_stage_id in ({{ quoted(var("lost_stages")) }}){% endmacro %}
{% macro is_closed() %}deal_pipeline_stage_id in ({{ quoted(var("won_stages") + var("lost_stages")) }}){% endmacro %}
{% macro amount() %}{{ var("amount_column") }}{% endmacro %}
{% macro is_expansion() %}property_dealtype in ({{ quoted(var("expansion_types")) }}){% endmacro %}
{% macro days_between(start, end) %}date_diff('day', cast({{ start }} as date), cast({{ end }} as date)){% endmacro %}
