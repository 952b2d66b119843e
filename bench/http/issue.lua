-- wrk script: POST a token request (the issuance path with a key exchange per token).
-- Cookie and CSRF token come from the environment (set by issue-load.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = os.getenv("IMSM_COOKIE")
wrk.headers["X-CSRF-Token"] = os.getenv("IMSM_CSRF")
wrk.body = '{"fields":{"justification":"load test"},"request":{"method":"GET","path":"/search","query":{"account":"12345"}}}'

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write("latency p50/p90/p99 (ms): ", latency:percentile(50) / 1000, " / ", latency:percentile(90) / 1000,
           " / ", latency:percentile(99) / 1000, "\n")
end
