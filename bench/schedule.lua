-- Loaded by the wrk scripts that send on a fixed schedule (fixed_rate.lua, submit.lua with RATE): returns a
-- function that makes a wrk `delay` sending `rate` requests a second whatever the answers take.
-- wrk delays each connection's next request by what delay() returns; one shared schedule hands out the send times
-- 1/rate apart across all connections (one wrk thread, so one Lua state), so with enough connections the offered
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

return function(rate)
  local interval = 1000 / rate
  local next_slot = nil
  return function()
    local now = now_ms()
    if next_slot == nil then next_slot = now end
    next_slot = next_slot + interval
    if next_slot < now then next_slot = now end -- late (every connection was busy): send at once, do not burst
    return math.floor(next_slot - now + 0.5)
  end
end
