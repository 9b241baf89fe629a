select * from {{ source('raw', 'deals') }} where amount >= {{ var('min_amount') }}
