// Redis Sentinel: the `sentinel:` block of a Redis metric (the master is found by name, not by
// address), the discovery itself, and Celery's `sentinel://` broker URL mapped to that block.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"
#include "scalers/config_util.h"

namespace ebb::scalers {

struct HostPort {
  std::string host;
  int port = 0;
};

struct SentinelConfig {
  std::string master_name;          // `masterName`; empty = no Sentinel
  std::vector<HostPort> sentinels;  // `addresses`, asked in order
  SecretRef username;               // the sentinels' own ACL user (`username`, or a Secret)
  SecretRef password;               // the sentinels' own password (`passwordFromEnv`/`File`)
  bool enabled() const { return !master_name.empty(); }
  // Identity for pooled connections (addresses and secret references, never secrets).
  std::string Key() const;
};

inline constexpr std::string_view kSentinelFields[] = {
    "masterName",      "addresses",    "username",
    "usernameFromEnv", "usernameFile", "usernameSecretKeyRef",
    "passwordFromEnv", "passwordFile", "passwordSecretKeyRef"};

// "host:port" or "[v6]:port" -> HostPort; nullopt when malformed.
std::optional<HostPort> ParseHostPort(std::string_view text);

// Reads `sentinel:` of `r` (if present) into `out`, recording problems with field paths.
void ParseSentinelBlock(ConfigReader& r, SentinelConfig* out);

// Celery's Sentinel broker URL, as in
//   broker_url = "sentinel://:pw@s1:26379/0;sentinel://:pw@s2:26379/0"
//   broker_transport_options = {"master_name": "mymaster"}
// mapped to a `redis:` block's connection part: {sentinel: {masterName, addresses}, db,
// username?, passwordFromEnv?}. The URL's password is the master's (kombu hands it to the master
// connection); it never goes into the block: `password_env` names the environment variable the
// controller reads it from, and `password_in_url` says the user must provide it there.
struct SentinelBrokerBlock {
  nlohmann::json redis;
  bool password_in_url = false;
};
Result<SentinelBrokerBlock> SentinelBrokerUrlToRedis(std::string_view url,
                                                     std::string_view master_name,
                                                     std::string_view password_env);

}  // namespace ebb::scalers
