// IANA time zones for spec.schedules, read from the system's tzdata ($TZDIR, else
// /usr/share/zoneinfo) and shared by every Autoscaler naming the same zone.
#pragma once

#include <memory>
#include <string>

#include "controller/base/result.h"
#include "controller/decision/time_zone.h"

namespace ebb::api {

// "UTC" (and "Etc/UTC") need no file. Other names must look like IANA names (letters, digits,
// "_", "-", "+", "/"; no "..") and exist in the tzdata directory. Errors say which file was read.
Result<std::shared_ptr<const decision::TimeZone>> LoadTimeZone(const std::string& name);

}  // namespace ebb::api
