-- Shared by the bench scripts: counts responses per HTTP status in every wrk thread and prints
-- one line "statuses 200=N 304=M ..." at the end, which bench/queue.py parses.

local threads = {}
counts = {}

function setup(thread)
   table.insert(threads, thread)
end

function count_status(status)
   counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("counts")) do
         total[status] = (total[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(total) do
      table.insert(parts, status .. "=" .. n)
   end
   table.sort(parts)
   io.write("statuses " .. table.concat(parts, " ") .. "\n")
end
