-- wrk script: requests at a fixed rate, RATE per second (default 50), whatever the latency, cycling through the
-- requests of the Lua file REQUESTS_LUA (it sets `requests`: a list of {method, path, headers, body}).
-- wrk delays each connection's next request by what delay() returns; one shared schedule hands out the send times
-- RATE apart across all connections (one wrk thread, so one Lua state), so with enough connections the offered
-- load is fixed, not slowed by slow answers (a closed loop would hide a slow server behind fewer requests).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } rg_timespec;
int clock_gettime(int clk_id, rg_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local now_ts = ffi.new("rg_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

dofile(os.getenv("REQUESTS_LUA"))
local formatted = {}
for i, r in ipairs(requests) do
  formatted[i] = wrk.format(r.method, r.path, r.headers, r.body)
end
local interval = 1000 / tonumber(os.getenv("RATE") or "50")
local next_slot = nil
local n = 0

request = function()
  n = n + 1
  return formatted[(n % #formatted) + 1]
end

delay = function()
  local now = now_ms()
  if next_slot == nil then next_slot = now end
  next_slot = next_slot + interval
  if next_slot < now then next_slot = now end -- late (every connection was busy): send at once, do not burst
  return math.floor(next_slot - now + 0.5)
end
