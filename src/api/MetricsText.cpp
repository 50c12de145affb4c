#include "keyward/api/MetricsText.h"

#include <cstdio>
#include <map>

#include "keyward/api/AdminViews.h"

namespace keyward {
namespace {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // A family with one unlabelled sample.
  void single(const char* name, const char* type, const char* help, double value) {
    family(name, type, help);
    sample(name, "", value);
  }
  void sample(const std::string& name, const std::string& labels, double value) {
    out_ += name;
    if (!labels.empty()) out_ += '{' + labels + '}';
    char number[64];
    std::snprintf(number, sizeof number, " %.17g\n", value);
    out_ += number;
  }

 private:
  std::string& out_;
};

// A label value, escaped as the format requires (\\, \", \n).
std::string label(const char* name, std::string_view value) {
  std::string out = std::string(name) + "=\"";
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out + '"';
}

}  // namespace

std::string renderMetrics(const MetricsInputs& in) {
  std::string out;
  Writer w(out);

  w.family("keyward_verify_requests_total", "counter", "Verify answers by result code (ok or the denial code).");
  for (std::size_t i = 0; i < kVerdictCount; ++i) {
    w.sample("keyward_verify_requests_total", label("code", kVerdicts[i].code),
             static_cast<double>(in.verify.byVerdict[i]));
  }
  w.family("keyward_endpoint_denials_total", "counter",
           "Refused requests to the admin API, /v1/status and /metrics, by denial code.");
  for (std::size_t i = 1; i < kVerdictCount; ++i) {
    w.sample("keyward_endpoint_denials_total", label("code", kVerdicts[i].code),
             static_cast<double>(in.verify.endpointDenials[i]));
  }
  w.family("keyward_verify_duration_seconds", "histogram",
           "Time to answer a verify request, from parsed request to response.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += in.verify.latency[i];
    char le[32];
    std::snprintf(le, sizeof le, "%g", kLatencyBuckets[i]);
    w.sample("keyward_verify_duration_seconds_bucket", label("le", le), static_cast<double>(cumulative));
  }
  cumulative += in.verify.latency.back();
  w.sample("keyward_verify_duration_seconds_bucket", label("le", "+Inf"), static_cast<double>(cumulative));
  w.sample("keyward_verify_duration_seconds_sum", "", static_cast<double>(in.verify.latencySumNs) / 1e9);
  w.sample("keyward_verify_duration_seconds_count", "", static_cast<double>(cumulative));

  w.single("keyward_throttled_requests_total", "counter", "Denials answered 429 after too many from one client.",
           static_cast<double>(in.throttled));
  w.single("keyward_log_dropped_lines_total", "counter",
           "Log lines dropped because the log reader fell behind (logging never blocks serving).",
           static_cast<double>(in.logDropped));

  if (in.usage) {
    w.single("keyward_leak_suspensions_total", "counter",
             "Keys suspended because they were reported leaked (POST /v1/leaks, keyward leaked), since start.",
             static_cast<double>(in.usage->suspensionsAdded()));
    w.single("keyward_leak_suspended_keys", "gauge", "Keys suspended as leaked and not cleared yet.",
             static_cast<double>(in.usage->suspensions().size()));
  }

  w.family("keyward_reloads_total", "counter", "Key set loads by result (the first load at start included).");
  w.sample("keyward_reloads_total", label("result", "ok"), static_cast<double>(in.reload.succeeded));
  w.sample("keyward_reloads_total", label("result", "failed"), static_cast<double>(in.reload.failed));
  w.single("keyward_last_reload_timestamp_seconds", "gauge", "When the last reload attempt finished.",
           static_cast<double>(in.reload.lastAttemptUnixMs) / 1000.0);
  w.single("keyward_last_reload_success", "gauge", "1 if the last reload attempt was applied, 0 if refused.",
           in.reload.lastOk ? 1 : 0);
  w.single("keyward_key_set_generation", "gauge", "Generation of the key set in service.",
           static_cast<double>(in.reload.generation));

  std::map<std::string_view, std::uint64_t> byStatus = {
      {"active", 0}, {"suspended", 0}, {"revoked", 0}, {"expired", 0}, {"pending", 0}};
  if (in.keys) {
    for (const KeyEntry& key : in.keys->entries()) ++byStatus[effectiveStatus(key, in.nowMs)];
  }
  w.family("keyward_keys", "gauge", "Configured keys by status.");
  for (const auto& [status, count] : byStatus)
    w.sample("keyward_keys", label("status", status), static_cast<double>(count));

  w.family("keyward_key_requests_total", "counter", "Requests that presented a configured key, by key id and result.");
  std::string lastUsed;
  if (in.keys && in.usage) {
    for (const KeyEntry& key : in.keys->entries()) {
      const KeyUsage* usage = in.usage->find(key.id);
      if (!usage) continue;  // never presented: no series
      const std::string id = label("key_id", key.id);
      w.sample("keyward_key_requests_total", id + "," + label("result", "allowed"),
               static_cast<double>(usage->allowed()));
      w.sample("keyward_key_requests_total", id + "," + label("result", "denied"),
               static_cast<double>(usage->denied()));
      char line[64];
      std::snprintf(line, sizeof line, " %.17g\n", static_cast<double>(usage->lastUsedMs()) / 1000.0);
      lastUsed += "keyward_key_last_used_timestamp_seconds{" + id + "}" + line;
    }
  }
  w.family("keyward_key_last_used_timestamp_seconds", "gauge", "When each key was last presented.");
  out += lastUsed;

  if (in.server) {
    const ServerStats& s = *in.server;
    w.single("keyward_connections_accepted_total", "counter", "Connections accepted.",
             static_cast<double>(s.connectionsAccepted));
    w.single("keyward_connections_refused_total", "counter", "Connections refused beyond max_connections.",
             static_cast<double>(s.connectionsRefused));
    w.single("keyward_connections_active", "gauge", "Open connections.", static_cast<double>(s.connectionsActive));
    w.single("keyward_connection_timeouts_total", "counter",
             "Connections closed by the header, idle or write deadline.", static_cast<double>(s.timeouts));
    w.single("keyward_http_requests_total", "counter", "HTTP requests answered, all endpoints.",
             static_cast<double>(s.requests));
    w.single("keyward_http_bad_requests_total", "counter", "Requests refused by the HTTP parser (connection closed).",
             static_cast<double>(s.badRequests));
    w.single("keyward_handler_errors_total", "counter", "Exceptions in request handling, answered 500.",
             static_cast<double>(s.handlerErrors));
  }
  return out;
}

}  // namespace keyward
