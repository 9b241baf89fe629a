{# Macros every definition can call, e.g. filters: ["{{ is_closed() }}"] #}
{% macro is_won() %}stage = '{{ var("won_stage") }}'{% endmacro %}
{% macro is_closed() %}stage in ('{{ var("won_stage") }}', '{{ var("lost_stage") }}'){% endmacro %}
{% macro days_between(start, end) %}date_diff('day', cast({{ start }} as date), cast({{ end }} as date)){% endmacro %}
