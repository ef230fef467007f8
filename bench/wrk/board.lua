-- Display boards and phones polling GET /api/v1/board with the ETag last seen.
dofile("statuses.lua")

local etag = nil

function request()
   local headers = {}
   if etag then
      headers["If-None-Match"] = etag
   end
   return wrk.format("GET", "/api/v1/board", headers)
end

function response(status, headers, body)
   count_status(status)
   if status == 200 then
      etag = headers["ETag"] or headers["Etag"]
   end
end
