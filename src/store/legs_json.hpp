#pragma once
// A call's legs as the calls table keeps them (schema 7): a JSON array of objects, one per leg in
// the call's order, with the keys role, party, sip_call_id, started_at, answered_at, ended_at,
// sip_status, mos, packets_received, packets_lost and jitter_ms. SQL can read it with SQLite's
// JSON functions; the store reads it here, because SQLite's reading of numbers is not exact to
// the last bit and it cuts strings at an escaped NUL.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/model.hpp"

namespace sb::store {

std::string legsToJson(const std::vector<CallLegRecord>& legs);

// Keys it does not know are skipped and missing ones keep their defaults, so that a row written
// by a later version still reads. Anything that is not such an array is an error.
Result<std::vector<CallLegRecord>> legsFromJson(std::string_view json);

}  // namespace sb::store
