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
};

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

}  // namespace sb::store::sqlite
