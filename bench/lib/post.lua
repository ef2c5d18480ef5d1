-- wrk's posting script, shared by bench/server, bench/postgres and bench/live.mjs. Each
-- connection alternates: fetch a challenge, post a comment with it (difficulty 0, so the
-- counter is free; the server's check costs one hash whatever the difficulty). Comments go
-- to 1,000 threads, /posted/0 to /posted/999. Counts only 201s as posted; anything else is
-- refused. BODY is replaced by the comment's text as a JSON string before use.
local threads, next_id = {}, 0
function setup(thread)
  thread:set("id", next_id); next_id = next_id + 1
  table.insert(threads, thread)
end
local queue, n = {}, 0
posted, refused = 0, 0
function request()
  local c = table.remove(queue)
  if c then
    n = n + 1
    local body = string.format(
      '{"thread":"/posted/%d","author":"Bench %d","body":%s,"pow":{"challenge":"%s","counter":0}}',
      n % 1000, id, BODY, c)
    return wrk.format("POST", "/api/v1/comments", {["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", "/api/v1/challenge")
end
function response(status, headers, body)
  local c = string.match(body, '"challenge":"([^"]+)"')
  if status == 200 and c then table.insert(queue, c)
  elseif status == 201 then posted = posted + 1
  else refused = refused + 1 end
end
function done(summary, latency, requests)
  local p, r = 0, 0
  for _, t in ipairs(threads) do p = p + t:get("posted"); r = r + t:get("refused") end
  io.write(string.format("posted %d in %d us, refused %d\n", p, summary.duration, r))
end
