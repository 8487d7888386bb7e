-- wrk script: POST a realistic mix of submissions as JSON: ordinary replies in several languages, replies to a
-- published comment (1 in 5, parents from PARENT_IDS), links, spam and abuse; each body made unique by a counter.
-- With PACE_DELAY_MS set, each connection waits that long between requests (a closed loop with a pause); with RATE
-- set, one shared schedule sends RATE requests a second whatever the answers take (bench/schedule.lua).
local bodies = {
  "Thanks for this clear explanation of the budget vote, I had not realised the committee met twice.",
  "I disagree with the author on rent control, but the numbers in the third paragraph are worth thinking about.",
  "Could you follow up on the bridge repairs promised last spring? Source: https://city.example/report",
  "Merci pour cet article tres complet sur la reforme des retraites.",
  "Great piece. My grandmother lived through the 1962 flood in that valley.",
  "BUY CHEAP PILLS ONLINE!!! best prices http://pills.example http://bit.ly/xyz",
  "You are a worthless idiot, shut up.",
  "Interesting interview with the harbour master, the best part for me.",
  "Vielen Dank, der Abschnitt zur Finanzierung der Schulen war sehr aufschlussreich.",
  "This is exactly what the council needs to hear before the vote next week.",
}
local parents = {}
for id in string.gmatch(os.getenv("PARENT_IDS") or "", "[^,]+") do parents[#parents + 1] = id end
local pace = tonumber(os.getenv("PACE_DELAY_MS") or "")
local n = 0
-- Each wrk thread gets its own number, so no two requests of a run share an email or a body: every reply is a new
-- author, as on a real site (a repeating email would make the author-history reads cheaper than they are).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
request = function()
  n = n + 1
  local body = bodies[(n % #bodies) + 1]
  local parent = ""
  if #parents > 0 and n % 5 == 0 then
    parent = string.format(', "parent_id": "%s"', parents[(n % #parents) + 1])
  end
  local who = string.format("%d-%d", thread_id or 0, n)
  local json = string.format('{"name": "Reader %s", "email": "reader%s@example.org", "body": "%s (%s)"%s}',
    who, who, body, who, parent)
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json"}, json)
end
local rate = tonumber(os.getenv("RATE") or "")
if rate then
  delay = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "schedule.lua")(rate)
elseif pace then
  delay = function() return pace end
end
