select * from {{ source('raw', 'balances') }}
