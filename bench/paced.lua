-- wrk script: the plain request of the command line, each connection waiting PACE_DELAY_MS between requests, so the
-- offered load is about connections * 1000 / PACE_DELAY_MS requests/s (for p99 at a set fraction of the maximum).
local pace = tonumber(os.getenv("PACE_DELAY_MS") or "0")
delay = function() return pace end
