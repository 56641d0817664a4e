#include "store/sqlite/call_queries.hpp"

namespace sb::store::sqlite {

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
