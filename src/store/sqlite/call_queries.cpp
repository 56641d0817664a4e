#include "store/sqlite/call_queries.hpp"

#include "store/sqlite/database.hpp"

namespace sb::store::sqlite {

void bindRecordColumns(Statement& q, const CallRecord& r) {
  q.bindUnowned(1, r.id)
      .bind(2, callDirectionCode(r.direction))
      .bindUnowned(3, r.caller)
      .bindUnowned(4, r.called)
      .bindUnowned(5, r.did)
      .bindUnowned(6, r.ivrPath)
      .bind(7, r.groupId)
      .bindUnowned(8, r.groupName)
      .bindUnowned(9, r.agent)
      .bind(10, r.arrivedAt)
      .bind(11, r.queuedAt)
      .bind(12, r.offeredAt)
      .bind(13, r.answeredAt)
      .bind(14, r.endedAt)
      .bind(15, r.waitMs)
      .bind(16, r.ringMs)
      .bind(17, r.talkMs)
      .bind(18, r.holdMs)
      .bind(19, r.afterCallWorkMs)
      .bind(20, callEndReasonCode(r.endReason))
      .bindUnowned(21, r.endedBy)
      .bindUnowned(22, r.recording)
      .bindUnowned(23, r.voicemail);
}

std::string callListQuery(const CallFilter& filter) {
  std::string sql(kCallSelect);
  std::string where;
  auto narrow = [&where](const char* condition) {
    where += where.empty() ? "WHERE " : " AND ";
    where += condition;
  };
  if (filter.from) narrow("arrived_at >= ?1");
  if (filter.to) narrow("arrived_at < ?2");
  if (filter.agent) narrow("agent = ?3");
  // The conditions after `AND` are those of the partial indexes calls_by_did and
  // calls_by_end_reason (schema 6): they change no result.
  if (filter.number) narrow("(caller = ?4 OR called = ?4 OR (did = ?4 AND did <> called))");
  if (filter.endReason) {
    narrow(*filter.endReason == CallEndReason::kNormal
               ? "end_reason = ?5"
               : "end_reason = ?5 AND end_reason <> 'normal'");
  }
  sql += where;
  sql += " ORDER BY arrived_at DESC, id DESC LIMIT ?6 OFFSET ?7";
  return sql;
}

}  // namespace sb::store::sqlite
