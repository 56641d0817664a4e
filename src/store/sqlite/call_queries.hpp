#pragma once
// Statement texts of the call records, apart from the store so that tests can ask SQLite how it
// would run them.

#include <string>
#include <string_view>

#include "store/model.hpp"

namespace sb::store::sqlite {

class Statement;

// Binds a record's columns id to voicemail, as every schema since version 2 has them, to ?1 to
// ?23. The text is bound without a copy: `r` must outlive the statement's step.
void bindRecordColumns(Statement& q, const CallRecord& r);

// Every column of a call record, in the order SqliteCalls reads them.
inline constexpr std::string_view kCallSelect =
    "SELECT id, direction, caller, called, did, ivr_path, group_id, group_name, agent, "
    "arrived_at, queued_at, offered_at, answered_at, ended_at, wait_ms, ring_ms, talk_ms, "
    "hold_ms, after_call_work_ms, end_reason, ended_by, recording, voicemail, legs FROM calls ";

// The list of calls matching `filter`, newest first. Parameters: ?1 from, ?2 to, ?3 agent,
// ?4 number, ?5 end reason code, ?6 limit, ?7 offset; those of absent filters go unused.
std::string callListQuery(const CallFilter& filter);

}  // namespace sb::store::sqlite
