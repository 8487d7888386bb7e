-- wrk script: the same JSON shape, for the bare Litestar baseline.
request = function()
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json"},
    '{"name": "Reader", "email": "reader@example.org", "body": "Thanks for this clear explanation of the budget vote."}')
end
