-- wrk script: POST a realistic mix of replies (ordinary, links, spam, abuse, other scripts) as JSON.
local bodies = {
  "Thanks for this clear explanation of the budget vote, I had not realised the committee met twice.",
  "I disagree with the author on rent control, but the numbers in the third paragraph are worth thinking about.",
  "Could you follow up on the bridge repairs promised last spring? Source: https://city.example/report",
  "Merci pour cet article tres complet sur la reforme des retraites.",
  "Great piece. My grandmother lived through the 1962 flood in that valley.",
  "BUY CHEAP PILLS ONLINE!!! best prices http://pills.example http://bit.ly/xyz",
  "You are a worthless idiot, shut up.",
  "Interesting interview with the harbour master, the best part for me.",
}
local n = 0
request = function()
  n = n + 1
  local body = bodies[(n % #bodies) + 1]
  local json = string.format('{"name": "Reader %d", "email": "reader%d@example.org", "body": "%s (%d)"}', n % 500, n % 500, body, n)
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json"}, json)
end
