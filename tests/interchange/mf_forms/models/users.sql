select * from {{ source('raw', 'users') }}
