-- wrk script: requests at a fixed rate, RATE per second (default 50), whatever the latency, cycling through the
-- requests of the Lua file REQUESTS_LUA (it sets `requests`: a list of {method, path, headers, body}).
-- The send times come from one shared schedule (bench/schedule.lua), so slow answers do not lower the offered load.
local schedule = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "schedule.lua")

dofile(os.getenv("REQUESTS_LUA"))
local formatted = {}
for i, r in ipairs(requests) do
  formatted[i] = wrk.format(r.method, r.path, r.headers, r.body)
end
local n = 0

request = function()
  n = n + 1
  return formatted[(n % #formatted) + 1]
end

delay = schedule(tonumber(os.getenv("RATE") or "50"))
