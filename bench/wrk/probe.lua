-- Phones' connectivity probes: GET /generate_204 on Google's host, as Android sends it.
dofile("statuses.lua")

wrk.path = "/generate_204"
wrk.headers["Host"] = "connectivitycheck.gstatic.com"

function response(status, headers, body)
   count_status(status)
end
