{# Macros over the vars of project.yml: the metrics call these, so a customised org changes vars only. #}
{% macro quoted(values) %}{% for v in values %}'{{ v | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}{% endmacro %}
{% macro is_won() %}stage in ({{ quoted(var("won_stages")) }}){% endmacro %}
{% macro is_lost() %}stage in ({{ quoted(var("lost_stages")) }}){% endmacro %}
{% macro is_closed() %}stage in ({{ quoted(var("won_stages") + var("lost_stages")) }}){% endmacro %}
{% macro amount() %}{{ var("amount_column") }}{% endmacro %}
{% macro is_expansion() %}type in ({{ quoted(var("expansion_types")) }}){% endmacro %}
{% macro days_between(start, end) %}date_diff('day', cast({{ start }} as date), cast({{ end }} as date)){% endmacro %}
