-- Phones polling their ticket: GET /api/v1/tickets/{id}, round-robin over the ids in the file
-- given after "--", with If-None-Match set to the ETag last seen for that id.
dofile("statuses.lua")

local ids = {}
local etags = {}
local next_index = 0

function init(args)
   for line in io.lines(args[1]) do
      if line ~= "" then
         table.insert(ids, line)
      end
   end
end

function request()
   local id = ids[next_index % #ids + 1]
   next_index = next_index + 1
   local headers = {}
   if etags[id] then
      headers["If-None-Match"] = etags[id]
   end
   return wrk.format("GET", "/api/v1/tickets/" .. id, headers)
end

function response(status, headers, body)
   count_status(status)
   -- Responses arrive in any order across connections; a 200's body names its ticket.
   if status == 200 then
      local id = body:match('"id":%s*"([^"]+)"')
      if id then
         etags[id] = headers["ETag"] or headers["Etag"]
      end
   end
end
