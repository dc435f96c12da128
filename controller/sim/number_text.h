// Numbers for people: fixed decimals and durations in the unit that reads best. Shared by the
// text summary and the HTML report so both say the same thing.
#pragma once

#include <string>

namespace ebb::sim {

std::string FormatFixed(double v, int digits);
// 90 -> "90 s", 600 -> "10.0 min", 7200 -> "2.0 h", 259200 -> "3.0 days".
std::string FormatSpan(double seconds);
// part/whole as "12.5 %", or `none` when whole is 0.
std::string FormatShare(double part, double whole, const char* none);

}  // namespace ebb::sim
