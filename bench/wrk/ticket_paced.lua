-- Phones polling their ticket as people do, not as fast as they can: each connection waits
-- about the milliseconds given after the ids file ("-- ids.txt 1000") between its answer and its
-- next poll, drawn at random from half to one and a half times that, as phones that opened their
-- page at different moments do (all 300 at the same instant would be a crowd no hall makes).
-- When a poll finds the ticket changed (200), the next request fetches the ticket's HTML fragment
-- at once, as the page's live.js does. wrk's latency figures leave the waits out: they are the
-- server's answers under that load.
dofile("ticket.lua")

local pace = 1000
local changed = {}  -- tickets whose fragment the page fetches next
local ticket_init, ticket_request, ticket_response = init, request, response

function init(args)
   ticket_init(args)
   pace = tonumber(args[2]) or pace
   math.randomseed(9)  -- the same waits every run
end

function delay()
   if #changed > 0 then
      return 0
   end
   return math.random(math.floor(pace / 2), math.floor(pace * 3 / 2))
end

function request()
   local id = table.remove(changed)
   if id then
      return wrk.format("GET", "/ticket/" .. id .. "/live")
   end
   return ticket_request()
end

function response(status, headers, body)
   ticket_response(status, headers, body)
   if status == 200 then
      local id = body:match('"id":%s*"([^"]+)"')
      if id then
         table.insert(changed, id)
      end
   end
end
