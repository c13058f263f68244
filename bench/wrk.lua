-- wrk script for the benchmark: GETs the URL as given (cookies come in with -H), or, given
-- `-- ORIGIN FORMS_FILE`, posts the forms in FORMS_FILE in turn (one url-encoded form a line)
-- with that Origin. "{key}" in a form becomes a key unique to the request: a pupil's form is
-- sent once. The summary is printed as one JSON line for bench/run.py.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local forms = {}
local sent = 0
local headers = {}
local prefix = ""

function init(args)
  if #args == 0 then
    return
  end
  headers["Origin"] = args[1]
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  for line in io.lines(args[2]) do
    forms[#forms + 1] = line
  end
  prefix = string.format("%d-%d", os.time(), id)
end

function request()
  if #forms == 0 then
    return wrk.format("GET")
  end
  sent = sent + 1
  local form = forms[(sent - 1) % #forms + 1]:gsub("{key}", prefix .. "-" .. sent)
  return wrk.format("POST", nil, headers, form)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max
  ))
end
