-- POST /api/v1/tickets as fast as the connections allow; each 201 is one ticket issued.
dofile("statuses.lua")

wrk.method = "POST"
wrk.path = "/api/v1/tickets"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"service":"surat","priority":false}'

function response(status, headers, body)
   count_status(status)
end
