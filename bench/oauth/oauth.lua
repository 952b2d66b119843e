-- wrk script for the OAuth benchmarks (bench/oauth/*.sh). Every response is checked: its status must
-- be 200 and its body must contain BENCH_EXPECT; done() prints the count of failures.
--   BENCH_METHOD  GET or POST (default POST)
--   BENCH_BODY    form body for POST
--   BENCH_AUTH    Authorization header value (optional)
--   BENCH_EXPECT  text every good answer contains
--   BENCH_REFRESH a file of refresh tokens, one per line: each request redeems one and the rotated
--                 token from the answer goes back into the thread's pool (refresh rotation)
--   BENCH_REFRESH_AUTH  Authorization header for the refresh requests
local threads = {}
local counter = 0

setup = function(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end

init = function(args)
  failures = 0
  checked = 0
  wrk.method = os.getenv("BENCH_METHOD") or "POST"
  if wrk.method == "POST" then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  wrk.body = os.getenv("BENCH_BODY")
  local auth = os.getenv("BENCH_AUTH")
  if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
  expect = os.getenv("BENCH_EXPECT") or ""
  pool = nil
  local file = os.getenv("BENCH_REFRESH")
  if file and file ~= "" then
    -- this thread's share of the tokens: lines index, index + threads, ...
    pool = {}
    local n = 0
    local total = tonumber(os.getenv("BENCH_THREADS") or "2")
    for line in io.lines(file) do
      if n % total == index - 1 then table.insert(pool, line) end
      n = n + 1
    end
  end
end

request = function()
  if pool then
    local token = table.remove(pool, 1)
    if token == nil then token = "pool-empty" end
    return wrk.format("POST", nil, nil, "grant_type=refresh_token&refresh_token=" .. token)
  end
  return wrk.format()
end

response = function(status, headers, body)
  checked = checked + 1
  if status ~= 200 or not string.find(body, expect, 1, true) then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("bad answer ", status, ": ", string.sub(body, 1, 200), "\n") end
  end
  if pool then
    local token = string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
    if token then table.insert(pool, token) end
  end
end

done = function(summary, latency, requests)
  local bad, seen = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("failures") or 0)
    seen = seen + (t:get("checked") or 0)
  end
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f checked=%d failures=%d non2xx_or_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, seen, bad,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
