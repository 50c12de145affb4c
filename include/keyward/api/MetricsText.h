#pragma once
// Renders /metrics in the Prometheus text exposition format (version 0.0.4). Key ids appear
// as label values; keys, digests and fingerprints never do.

#include <cstdint>
#include <string>

#include "keyward/api/Metrics.h"
#include "keyward/keys/KeySet.h"
#include "keyward/lifecycle/Reloader.h"
#include "keyward/lifecycle/UsageStore.h"
#include "keyward/server/HttpServer.h"

namespace keyward {

struct MetricsInputs {
  VerifyTotals verify;
  const ServerStats* server = nullptr;
  ReloadStatus reload;
  const KeySet* keys = nullptr;
  const UsageStore* usage = nullptr;
  std::uint64_t throttled = 0;
  std::uint64_t logDropped = 0;
  std::int64_t nowMs = 0;
};

std::string renderMetrics(const MetricsInputs& in);

}  // namespace keyward
