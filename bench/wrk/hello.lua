-- GET / on the bare waitress app, counting statuses like the other scripts.
dofile("statuses.lua")

function response(status, headers, body)
   count_status(status)
end
