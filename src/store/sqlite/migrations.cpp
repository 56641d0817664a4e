#include "store/sqlite/migrations.hpp"

namespace sb::store::sqlite {

namespace {

constexpr Migration kMigrations[] = {
    {1, "users, skill groups, agent settings, auth tokens", R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  sip_password  TEXT NOT NULL,
  roles         TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE TABLE agent_settings (
  user_id              INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  auto_answer          INTEGER NOT NULL DEFAULT 0,
  auto_ready_after_acw INTEGER NOT NULL DEFAULT 1,
  initial_state        TEXT NOT NULL DEFAULT 'idle' CHECK (initial_state IN ('idle', 'busy')),
  auto_record          INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE skill_groups (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE skill_group_members (
  group_id    INTEGER NOT NULL REFERENCES skill_groups(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  skill_level INTEGER NOT NULL CHECK (skill_level BETWEEN 1 AND 10),
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX skill_group_members_by_user ON skill_group_members(user_id);

CREATE TABLE auth_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX auth_tokens_by_user ON auth_tokens(user_id);
)sql"},
    {2, "call records and their legs", R"sql(
-- One row per call (通话记录), written once when the call ends. Agents and skill groups are kept
-- by value (username, group id and name), not as foreign keys: the history outlives users and
-- groups that are deleted later. Empty text and 0 mean "did not happen" / "none".
CREATE TABLE calls (
  id                 TEXT PRIMARY KEY,
  direction          TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
  caller             TEXT NOT NULL,
  called             TEXT NOT NULL,
  did                TEXT NOT NULL,
  ivr_path           TEXT NOT NULL,
  group_id           INTEGER NOT NULL,
  group_name         TEXT NOT NULL,
  agent              TEXT NOT NULL,
  arrived_at         INTEGER NOT NULL,
  queued_at          INTEGER NOT NULL,
  offered_at         INTEGER NOT NULL,
  answered_at        INTEGER NOT NULL,
  ended_at           INTEGER NOT NULL,
  wait_ms            INTEGER NOT NULL,
  ring_ms            INTEGER NOT NULL,
  talk_ms            INTEGER NOT NULL,
  hold_ms            INTEGER NOT NULL,
  after_call_work_ms INTEGER NOT NULL,
  end_reason         TEXT NOT NULL CHECK (end_reason IN ('normal', 'unanswered', 'ring_abandoned',
                       'queue_abandoned', 'after_hours_voicemail', 'voicemail', 'failed')),
  ended_by           TEXT NOT NULL,
  recording          TEXT NOT NULL,
  voicemail          TEXT NOT NULL
);
-- Lists are newest first, optionally narrowed by agent, a number or how the call ended.
CREATE INDEX calls_by_arrival ON calls(arrived_at, id);
CREATE INDEX calls_by_agent ON calls(agent, arrived_at, id);
CREATE INDEX calls_by_caller ON calls(caller, arrived_at, id);
CREATE INDEX calls_by_called ON calls(called, arrived_at, id);
CREATE INDEX calls_by_did ON calls(did, arrived_at, id);
CREATE INDEX calls_by_end_reason ON calls(end_reason, arrived_at, id);

CREATE TABLE call_legs (
  call_id          TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  position         INTEGER NOT NULL,
  role             TEXT NOT NULL,
  party            TEXT NOT NULL,
  sip_call_id      TEXT NOT NULL,
  started_at       INTEGER NOT NULL,
  answered_at      INTEGER NOT NULL,
  ended_at         INTEGER NOT NULL,
  sip_status       INTEGER NOT NULL,
  mos              REAL NOT NULL,
  packets_received INTEGER NOT NULL,
  packets_lost     INTEGER NOT NULL,
  jitter_ms        REAL NOT NULL,
  PRIMARY KEY (call_id, position)
);
)sql"},
    {3, "agents' mobile numbers", R"sql(
-- 手机接听: the number an agent in mobile answering is called at, through the outbound trunk.
ALTER TABLE agent_settings ADD COLUMN mobile_number TEXT NOT NULL DEFAULT '';
)sql"},
    {4, "call records clustered by their keys", R"sql(
-- Records and legs are kept in their keys' b-trees (WITHOUT ROWID): a call's id starts with its
-- arrival time, so a new record is appended to one tree instead of a table plus a key index.
-- The old legs are dropped before the old calls, whose deletion would otherwise cascade to
-- them; the copies then take the old names, and the legs' reference follows the rename.
CREATE TABLE calls_v4 (
  id                 TEXT PRIMARY KEY,
  direction          TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
  caller             TEXT NOT NULL,
  called             TEXT NOT NULL,
  did                TEXT NOT NULL,
  ivr_path           TEXT NOT NULL,
  group_id           INTEGER NOT NULL,
  group_name         TEXT NOT NULL,
  agent              TEXT NOT NULL,
  arrived_at         INTEGER NOT NULL,
  queued_at          INTEGER NOT NULL,
  offered_at         INTEGER NOT NULL,
  answered_at        INTEGER NOT NULL,
  ended_at           INTEGER NOT NULL,
  wait_ms            INTEGER NOT NULL,
  ring_ms            INTEGER NOT NULL,
  talk_ms            INTEGER NOT NULL,
  hold_ms            INTEGER NOT NULL,
  after_call_work_ms INTEGER NOT NULL,
  end_reason         TEXT NOT NULL CHECK (end_reason IN ('normal', 'unanswered', 'ring_abandoned',
                       'queue_abandoned', 'after_hours_voicemail', 'voicemail', 'failed')),
  ended_by           TEXT NOT NULL,
  recording          TEXT NOT NULL,
  voicemail          TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO calls_v4 SELECT id, direction, caller, called, did, ivr_path, group_id, group_name,
  agent, arrived_at, queued_at, offered_at, answered_at, ended_at, wait_ms, ring_ms, talk_ms,
  hold_ms, after_call_work_ms, end_reason, ended_by, recording, voicemail FROM calls;

CREATE TABLE call_legs_v4 (
  call_id          TEXT NOT NULL REFERENCES calls_v4(id) ON DELETE CASCADE,
  position         INTEGER NOT NULL,
  role             TEXT NOT NULL,
  party            TEXT NOT NULL,
  sip_call_id      TEXT NOT NULL,
  started_at       INTEGER NOT NULL,
  answered_at      INTEGER NOT NULL,
  ended_at         INTEGER NOT NULL,
  sip_status       INTEGER NOT NULL,
  mos              REAL NOT NULL,
  packets_received INTEGER NOT NULL,
  packets_lost     INTEGER NOT NULL,
  jitter_ms        REAL NOT NULL,
  PRIMARY KEY (call_id, position)
) WITHOUT ROWID;
INSERT INTO call_legs_v4 SELECT call_id, position, role, party, sip_call_id, started_at,
  answered_at, ended_at, sip_status, mos, packets_received, packets_lost, jitter_ms FROM call_legs;

DROP TABLE call_legs;
DROP TABLE calls;
ALTER TABLE calls_v4 RENAME TO calls;
ALTER TABLE call_legs_v4 RENAME TO call_legs;

CREATE INDEX calls_by_arrival ON calls(arrived_at, id);
CREATE INDEX calls_by_agent ON calls(agent, arrived_at, id);
CREATE INDEX calls_by_caller ON calls(caller, arrived_at, id);
CREATE INDEX calls_by_called ON calls(called, arrived_at, id);
CREATE INDEX calls_by_did ON calls(did, arrived_at, id);
CREATE INDEX calls_by_end_reason ON calls(end_reason, arrived_at, id);
)sql"},
    {5, "call records checked without temporary tables", R"sql(
-- The checks on direction and end reason are comparisons now: SQLite evaluates an IN list of
-- more than two values by building a temporary b-tree, once for every record inserted.
CREATE TABLE calls_v5 (
  id                 TEXT PRIMARY KEY,
  direction          TEXT NOT NULL CHECK (direction = 'inbound' OR direction = 'outbound' OR
                       direction = 'internal'),
  caller             TEXT NOT NULL,
  called             TEXT NOT NULL,
  did                TEXT NOT NULL,
  ivr_path           TEXT NOT NULL,
  group_id           INTEGER NOT NULL,
  group_name         TEXT NOT NULL,
  agent              TEXT NOT NULL,
  arrived_at         INTEGER NOT NULL,
  queued_at          INTEGER NOT NULL,
  offered_at         INTEGER NOT NULL,
  answered_at        INTEGER NOT NULL,
  ended_at           INTEGER NOT NULL,
  wait_ms            INTEGER NOT NULL,
  ring_ms            INTEGER NOT NULL,
  talk_ms            INTEGER NOT NULL,
  hold_ms            INTEGER NOT NULL,
  after_call_work_ms INTEGER NOT NULL,
  end_reason         TEXT NOT NULL CHECK (end_reason = 'normal' OR end_reason = 'unanswered' OR
                       end_reason = 'ring_abandoned' OR end_reason = 'queue_abandoned' OR
                       end_reason = 'after_hours_voicemail' OR end_reason = 'voicemail' OR
                       end_reason = 'failed'),
  ended_by           TEXT NOT NULL,
  recording          TEXT NOT NULL,
  voicemail          TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO calls_v5 SELECT id, direction, caller, called, did, ivr_path, group_id, group_name,
  agent, arrived_at, queued_at, offered_at, answered_at, ended_at, wait_ms, ring_ms, talk_ms,
  hold_ms, after_call_work_ms, end_reason, ended_by, recording, voicemail FROM calls;

-- Foreign keys are off while a migration runs: dropping the old table leaves the legs alone,
-- and their reference to "calls" names the new table once it is renamed.
DROP TABLE calls;
ALTER TABLE calls_v5 RENAME TO calls;

CREATE INDEX calls_by_arrival ON calls(arrived_at, id);
CREATE INDEX calls_by_agent ON calls(agent, arrived_at, id);
CREATE INDEX calls_by_caller ON calls(caller, arrived_at, id);
CREATE INDEX calls_by_called ON calls(called, arrived_at, id);
CREATE INDEX calls_by_did ON calls(did, arrived_at, id);
CREATE INDEX calls_by_end_reason ON calls(end_reason, arrived_at, id);
)sql"},
    {6, "call indexes only where they narrow the search", R"sql(
-- Every index entry costs a saved call a b-tree insert. An inbound call's DID is the number it
-- called, which calls_by_called finds already, and most calls end normally, which a scan in
-- arrival order finds at once: those entries are left out. The list query repeats each index's
-- condition, so that SQLite knows it may use it.
DROP INDEX calls_by_did;
DROP INDEX calls_by_end_reason;
CREATE INDEX calls_by_did ON calls(did, arrived_at, id) WHERE did <> called;
CREATE INDEX calls_by_end_reason ON calls(end_reason, arrived_at, id)
  WHERE end_reason <> 'normal';
)sql"},
    {7, "a call's legs in its row", R"sql(
-- A call's legs are only ever read with the call: they move into its row, as a JSON array in
-- their order, so that saving a call inserts one b-tree entry fewer per leg, each of which also
-- looked its call up for the foreign key.
ALTER TABLE calls ADD COLUMN legs TEXT NOT NULL DEFAULT '[]';
UPDATE calls SET legs = (
  SELECT json_group_array(json_object('role', role, 'party', party, 'sip_call_id', sip_call_id,
    'started_at', started_at, 'answered_at', answered_at, 'ended_at', ended_at,
    'sip_status', sip_status, 'mos', mos, 'packets_received', packets_received,
    'packets_lost', packets_lost, 'jitter_ms', jitter_ms))
  FROM (SELECT * FROM call_legs WHERE call_id = calls.id ORDER BY position))
WHERE id IN (SELECT call_id FROM call_legs);
DROP TABLE call_legs;
)sql"},
};

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

}  // namespace sb::store::sqlite
