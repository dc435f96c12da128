// Text kept for later in a smaller form: an Autoscaler's object is held as text by every replica
// for every Autoscaler (a sharded replica watches them all and reconciles a third), and JSON
// with its status deflates to about a third. Packing is deterministic: equal texts pack equal.
#pragma once

#include <string>

namespace ebb::live {

std::string Pack(const std::string& text);
// The text Pack was given. Throws std::runtime_error on bytes Pack did not write (a bug).
std::string Unpack(const std::string& packed);

}  // namespace ebb::live
