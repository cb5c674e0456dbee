-- Posts varied buyer messages with unique external ids; prints a JSON summary at the end.
-- BODIES_FILE (set by benchmarks/run.py) defines `bodies`, a table of JSON-escaped message texts.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  dofile(os.getenv("BODIES_FILE"))
  key = os.getenv("INGEST_KEY") or ""
  run = os.getenv("RUN_ID") or "r"
end

function request()
  counter = counter + 1
  local body = bodies[(counter * 7 + tid) % #bodies + 1]
  local payload = '{"external_id":"' .. run .. '-' .. tid .. '-' .. counter .. '","channel":"bench",'
    .. '"sender_email":"buyer' .. (counter % 500) .. '@buyer.example","order_id":"' .. (100 + tid) .. '-'
    .. string.format("%07d", counter % 10000000) .. '-0000001","body":' .. body .. '}'
  return wrk.format("POST", "/v1/messages", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, payload)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests": %d, "seconds": %.3f, "errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration / 1e6, errors, latency:percentile(50), latency:percentile(99)))
end
