"""The words the definitions choose from: grains, formats, fills, weekdays.

Standard library only, so that the views of a kept plan (:mod:`sales_metrics.cli.planned`)
read them without loading the models; :mod:`engine.model` declares the fields with them.
"""

from __future__ import annotations

from enum import Enum


class Grain(str, Enum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"
    all = "all"  # one period: the whole range


class Format(str, Enum):
    number = "number"
    percent = "percent"
    currency = "currency"
    days = "days"
    hours = "hours"


class Fill(str, Enum):
    zero = "zero"
    empty = "empty"


class Weekday(str, Enum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"
