-- wrk script for the Isso peer: POST a new comment as JSON to /new?uri=..., with the same ordinary replies as
-- submit.lua (Isso renders Markdown, so the text shapes its cost), each made unique by a counter so that no two
-- requests carry the same text. "title" is sent because Isso otherwise fetches the page at `uri` from the site
-- configured as its host to learn the thread's title when the thread is new.
local bodies = {
  "Thanks for this clear explanation of the budget vote, I had not realised the committee met twice.",
  "I disagree with the author on rent control, but the numbers in the third paragraph are worth thinking about.",
  "Could you follow up on the bridge repairs promised last spring? Source: https://city.example/report",
  "Merci pour cet article tres complet sur la reforme des retraites.",
  "Great piece. My grandmother lived through the 1962 flood in that valley.",
  "Interesting interview with the harbour master, the best part for me.",
}
local n = 0
request = function()
  n = n + 1
  local body = bodies[(n % #bodies) + 1]
  local json = string.format(
    '{"text": "%s (%d)", "author": "Reader %d", "email": "reader%d@example.org", "title": "Bench thread"}',
    body, n, n % 500, n % 500)
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json"}, json)
end
