// Opaque identifiers: UUIDv7 (RFC 9562 §5.7) strings, time-ordered so that cursor pagination
// by id follows creation order. Thread-safe if the Rng is.
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/rng.h"

namespace certseal {

std::string new_uuid_v7(const Clock& clock, Rng& rng);
bool looks_like_uuid(std::string_view s);

}  // namespace certseal
