-- wrk script of `make bench`: one request per endpoint, or a rotation of bodies (the search).
--
-- Arguments after `--`: the method, then one or more bodies ("" for none). Headers (cookies,
-- CSRF token, content type) come from wrk's -H flags. done() prints one line starting with
-- BENCH_JSON that bench/run_bench.py parses; response() counts every answer that is not 2xx
-- (wrk itself counts only 4xx and 5xx), so a redirect to the login page is an error too.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   non2xx = 0
   prepared = {}
   local method = args[1] or "GET"
   if #args < 2 then
      table.insert(prepared, wrk.format(method, nil, nil, nil))
   end
   for i = 2, #args do
      local body = args[i]
      if body == "" then body = nil end
      table.insert(prepared, wrk.format(method, nil, nil, body))
   end
   position = 0
end

function request()
   position = position % #prepared + 1
   return prepared[position]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non2xx") or 0)
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, ' ..
      '"read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
      '"mean_us": %.1f, "max_us": %d}\n',
      summary.requests, summary.duration, bad, errors.connect, errors.read, errors.write,
      errors.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
      latency.mean, latency.max))
end
