#include "api/requests.hpp"

#include <gtest/gtest.h>

namespace sb::api {
namespace {

const Policy kPolicy{8};

template <typename T>
std::string fieldOf(const Result<T>& r) {
  return r.ok() ? "<ok>" : r.error().field;
}

TEST(DecodeLoginTest, ReadsUsernameAndPassword) {
  auto r = decodeLogin(R"({"username":"1001","password":"demo"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->username, "1001");
  EXPECT_EQ(r->password, "demo");
}

TEST(DecodeLoginTest, MalformedJsonIsAnError) {
  for (auto body : {"", "{", "[]", "\"x\"", "{\"username\":}", "nul"}) {
    auto r = decodeLogin(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(DecodeLoginTest, NamesTheMissingOrMistypedField) {
  EXPECT_EQ(fieldOf(decodeLogin(R"({"username":"1001"})")), "password");
  EXPECT_EQ(fieldOf(decodeLogin(R"({"username":1001,"password":"x"})")), "username");
  EXPECT_EQ(fieldOf(decodeLogin(R"({"username":"a","password":"b","remember":true})")), "remember");
}

TEST(DecodeLoginTest, DeepNestingIsRejectedNotRecursedInto) {
  std::string deep(10000, '[');
  EXPECT_FALSE(decodeLogin(R"({"username":)" + deep).ok());
}

TEST(DecodePasswordChangeTest, ConfirmationMustMatch) {
  auto r = decodePasswordChange(
      R"({"old_password":"demo","new_password":"s3cret-pass","confirm_password":"s3cret-pasS"})",
      kPolicy);
  EXPECT_EQ(fieldOf(r), "confirm_password");
}

TEST(DecodePasswordChangeTest, NewPasswordMustMeetThePolicy) {
  auto r = decodePasswordChange(
      R"({"old_password":"demo","new_password":"short","confirm_password":"short"})", kPolicy);
  EXPECT_EQ(fieldOf(r), "new_password");
}

TEST(DecodePasswordChangeTest, PasswordLengthCountsCharactersNotBytes) {
  // Four Chinese characters are 12 bytes of UTF-8 but four characters.
  auto r = decodePasswordChange(
      R"({"old_password":"x","new_password":"四个汉字","confirm_password":"四个汉字"})", Policy{5});
  EXPECT_EQ(fieldOf(r), "new_password");
  auto ok = decodePasswordChange(
      R"({"old_password":"x","new_password":"四个汉字","confirm_password":"四个汉字"})", Policy{4});
  EXPECT_TRUE(ok.ok());
}

TEST(DecodeUserCreateTest, ReadsEverythingWithDefaults) {
  auto r = decodeUserCreate(R"({"username":"1011","password":"password1"})", kPolicy);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->name, "1011");
  EXPECT_TRUE(r->roles.has(store::Role::kAgent));
  EXPECT_FALSE(r->sipPassword);
  EXPECT_TRUE(r->skills.empty());
  EXPECT_EQ(r->settings.applyTo({}), store::AgentSettings{});
}

TEST(DecodeUserCreateTest, ReadsRolesSettingsAndSkills) {
  auto r = decodeUserCreate(R"({
    "username": "1011", "name": "温平", "password": "password1", "sip_password": "Sip-1011",
    "roles": ["agent", "supervisor"],
    "settings": {"auto_answer": true, "initial_state": "busy"},
    "skill_groups": [{"id": 1, "level": 9}, {"name": "售后 After-sales"}]
  })",
                            kPolicy);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->name, "温平");
  EXPECT_EQ(r->sipPassword, "Sip-1011");
  EXPECT_TRUE(r->roles.has(store::Role::kSupervisor));
  auto settings = r->settings.applyTo({});
  EXPECT_TRUE(settings.autoAnswer);
  EXPECT_EQ(settings.initialState, store::InitialAgentState::kBusy);
  EXPECT_TRUE(settings.autoRecord);
  ASSERT_EQ(r->skills.size(), 2U);
  EXPECT_EQ(r->skills[0].id, 1);
  EXPECT_EQ(r->skills[0].level, 9);
  EXPECT_EQ(r->skills[1].name, "售后 After-sales");
  EXPECT_EQ(r->skills[1].level, store::kDefaultSkillLevel);
}

TEST(DecodeUserCreateTest, NamesTheFieldAtFault) {
  auto field = [](const char* body) { return fieldOf(decodeUserCreate(body, kPolicy)); };
  EXPECT_EQ(field(R"({"password":"password1"})"), "username");
  EXPECT_EQ(field(R"({"username":"10 11","password":"password1"})"), "username");
  EXPECT_EQ(field(R"({"username":"1011","password":"short"})"), "password");
  EXPECT_EQ(field(R"({"username":"1011","password":"password1","roles":["root"]})"), "roles");
  EXPECT_EQ(field(R"({"username":"1011","password":"password1","roles":[]})"), "roles");
  EXPECT_EQ(
      field(R"({"username":"1011","password":"password1","settings":{"initial_state":"nap"}})"),
      "settings.initial_state");
  EXPECT_EQ(field(R"({"username":"1011","password":"password1","settings":{"auto_answer":"yes"}})"),
            "settings.auto_answer");
  EXPECT_EQ(field(R"({"username":"1011","password":"password1","settings":{"colour":1}})"),
            "settings.colour");
  EXPECT_EQ(field(R"({"username":"1011","password":"password1","skill_groups":[{"level":3}]})"),
            "skill_groups[0]");
  EXPECT_EQ(
      field(R"({"username":"1011","password":"password1","skill_groups":[{"id":1,"level":11}]})"),
      "skill_groups[0].level");
  EXPECT_EQ(field(R"({"username":"1011","password":"password1","sip_password":"has space"})"),
            "sip_password");
  EXPECT_EQ(field(R"({"username":"1011","password":"password1","name":""})"), "name");
  EXPECT_EQ(field(R"({"username":"1011","password":"password1","name":"a\u0007b"})"), "name");
}

TEST(DecodeUserPatchTest, OnlyGivenFieldsArePresent) {
  auto r = decodeUserPatch(R"({"settings":{"auto_record":false}})", kPolicy);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->name);
  EXPECT_FALSE(r->password);
  EXPECT_FALSE(r->roles);
  ASSERT_TRUE(r->settings);
  store::AgentSettings before;
  before.autoAnswer = true;
  auto after = r->settings->applyTo(before);
  EXPECT_TRUE(after.autoAnswer);
  EXPECT_FALSE(after.autoRecord);
}

TEST(DecodeUserPatchTest, UsernameCannotBeChanged) {
  EXPECT_EQ(fieldOf(decodeUserPatch(R"({"username":"x"})", kPolicy)), "username");
}

TEST(ValidateUsernameTest, AgentIdsAndNamesPassOthersFail) {
  EXPECT_TRUE(validateUsername("1001").ok());
  EXPECT_TRUE(validateUsername("wen.ping_2").ok());
  EXPECT_FALSE(validateUsername("").ok());
  EXPECT_FALSE(validateUsername("a@b").ok());
  EXPECT_FALSE(validateUsername("温平").ok());
  EXPECT_FALSE(validateUsername(std::string(33, 'a')).ok());
}

}  // namespace
}  // namespace sb::api

namespace sb::api {
namespace {

TEST(DecodeAgentStateTest, AcceptsTheThreeStatesAndNamesTheFieldAtFault) {
  auto idle = decodeAgentState(R"({"state": "idle"})");
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(idle->state, "idle");
  auto lunch = decodeAgentState(R"({"state": "break", "reason": "lunch"})");
  ASSERT_TRUE(lunch.ok());
  EXPECT_EQ(lunch->reason, "lunch");
  EXPECT_EQ(decodeAgentState(R"({"state": "asleep"})").error().field, "state");
  EXPECT_EQ(decodeAgentState(R"({})").error().field, "state");
  EXPECT_EQ(decodeAgentState(R"({"state": "idle", "mood": 1})").error().field, "mood");
  EXPECT_EQ(decodeAgentState(R"({"state": "break", "reason": 7})").error().field, "reason");
  EXPECT_EQ(decodeAgentState(R"({"state": "break", "reason": ")" + std::string(65, 'x') + R"("})")
                .error()
                .field,
            "reason");
  EXPECT_FALSE(decodeAgentState("not json").ok());
}

TEST(DecodeAgentStateTest, MobileTakesAnOptionalDialableNumber) {
  auto stored = decodeAgentState(R"({"state": "mobile"})");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, "mobile");
  EXPECT_TRUE(stored->number.empty());
  auto given = decodeAgentState(R"({"state": "mobile", "number": "+8613900000009"})");
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->number, "+8613900000009");
  for (const char* bad : {R"("12")", R"("139-0000")", R"("sip:1@x")", R"(139)"}) {
    EXPECT_EQ(decodeAgentState(std::string(R"({"state": "mobile", "number": )") + bad + "}")
                  .error()
                  .field,
              "number")
        << bad;
  }
  EXPECT_EQ(decodeAgentState(R"({"state": "idle", "number": "13900000009"})").error().field,
            "number");
}

TEST(DecodeUserPatchTest, MobileNumberIsDialableOrEmpty) {
  auto set = decodeUserPatch(R"({"settings":{"mobile_number":"13900000009"}})", kPolicy);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->settings->applyTo({}).mobileNumber, "13900000009");
  store::AgentSettings had;
  had.mobileNumber = "13900000009";
  auto cleared = decodeUserPatch(R"({"settings":{"mobile_number":""}})", kPolicy);
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared->settings->applyTo(had).mobileNumber, "");
  auto bad = decodeUserPatch(R"({"settings":{"mobile_number":"13900000009; drop"}})", kPolicy);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "settings.mobile_number");
}

TEST(ParseTimestampTest, ReadsIso8601WithAZoneAndUnixSeconds) {
  constexpr store::UnixMillis k0900 = 1'795'251'600'000;  // 2026-11-21T09:00:00Z
  EXPECT_EQ(parseTimestamp("2026-11-21T09:00:00Z"), k0900);
  EXPECT_EQ(parseTimestamp("2026-11-21t09:00z"), k0900);
  EXPECT_EQ(parseTimestamp("2026-11-21T09:00:00.25Z"), k0900 + 250);
  EXPECT_EQ(parseTimestamp("2026-11-21T09:00:00.123456789Z"), k0900 + 123);
  EXPECT_EQ(parseTimestamp("2026-11-21T17:00:00+08:00"), k0900);
  EXPECT_EQ(parseTimestamp("2026-11-21T17:00:00 08:00"), k0900);  // '+' unescaped in a query
  EXPECT_EQ(parseTimestamp("2026-11-21T04:30:00-0430"), k0900);
  EXPECT_EQ(parseTimestamp("1795251600"), k0900);
  EXPECT_EQ(parseTimestamp("0"), 0);
  EXPECT_EQ(parseTimestamp("2024-02-29T00:00:00Z"), 1'709'164'800'000);
  EXPECT_EQ(parseTimestamp("1970-01-01T00:00:00Z"), 0);
}

TEST(ParseTimestampTest, RefusesWhatIsNotAnInstant) {
  for (auto text : {"", "2026-11-21", "2026-11-21T09:00:00", "2026-13-01T00:00:00Z",
                    "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-21T24:00:00Z",
                    "2026-11-21T09:60:00Z", "2026-11-21T09:00:61Z", "2026-11-21T09:00:00.Z",
                    "2026-11-21T09:00:00Zjunk", "2026-11-21 09:00:00Z", "-1", "1e9",
                    "9999999999999", "26-11-21T09:00:00Z", "2026-11-21T09:00:00+8"}) {
    EXPECT_FALSE(parseTimestamp(text)) << text;
  }
}

TEST(DecodeQueryTest, DecodesEscapesAndPlusSigns) {
  auto r = decodeQuery("a=1&&number=%2B86+138&flag&x=%E4%B8%AD");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 4U);
  EXPECT_EQ((*r)[1], (std::pair<std::string, std::string>{"number", "+86 138"}));
  EXPECT_EQ((*r)[2].first, "flag");
  EXPECT_EQ((*r)[2].second, "");
  EXPECT_EQ((*r)[3].second, "中");
  EXPECT_EQ(fieldOf(decodeQuery("agent=%zz")), "agent");
  EXPECT_EQ(fieldOf(decodeQuery("agent=a%00b")), "agent");
}

TEST(DecodeCallQueryTest, EveryParameterIsOptional) {
  auto r = decodeCallQuery("");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->from || r->to || r->agent || r->number || r->endReason);
  EXPECT_EQ(r->limit, kDefaultCallListLimit);
  EXPECT_EQ(r->offset, 0U);
}

TEST(DecodeCallQueryTest, ReadsEveryFilter) {
  auto r = decodeCallQuery(
      "from=2026-11-21T09:00:00Z&to=1795255200&agent=1001&number=13800138000"
      "&end_reason=queue_abandoned&limit=1000&offset=20");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->from, 1'795'251'600'000);
  EXPECT_EQ(r->to, 1'795'255'200'000);
  EXPECT_EQ(r->agent, "1001");
  EXPECT_EQ(r->number, "13800138000");
  EXPECT_EQ(r->endReason, store::CallEndReason::kQueueAbandoned);
  EXPECT_EQ(r->limit, 1000U);
  EXPECT_EQ(r->offset, 20U);
}

TEST(DecodeCallQueryTest, NamesTheParameterAtFault) {
  EXPECT_EQ(fieldOf(decodeCallQuery("end_reason=abandoned")), "end_reason");
  EXPECT_EQ(fieldOf(decodeCallQuery("end_reason=")), "end_reason");
  EXPECT_EQ(fieldOf(decodeCallQuery("limit=0")), "limit");
  EXPECT_EQ(fieldOf(decodeCallQuery("limit=1001")), "limit");
  EXPECT_EQ(fieldOf(decodeCallQuery("limit=-1")), "limit");
  EXPECT_EQ(fieldOf(decodeCallQuery("limit=99999999999999999999")), "limit");
  EXPECT_EQ(fieldOf(decodeCallQuery("offset=x")), "offset");
  EXPECT_EQ(fieldOf(decodeCallQuery("from=yesterday")), "from");
  EXPECT_EQ(fieldOf(decodeCallQuery("to=")), "to");
  EXPECT_EQ(fieldOf(decodeCallQuery("from=1795255200&to=1795251600")), "to");
  EXPECT_EQ(fieldOf(decodeCallQuery("agent=a%20b")), "agent");
  EXPECT_EQ(fieldOf(decodeCallQuery("number=")), "number");
  EXPECT_EQ(fieldOf(decodeCallQuery("limit=5&limit=6")), "limit");
  EXPECT_EQ(fieldOf(decodeCallQuery("caller=1")), "caller");
}

}  // namespace
}  // namespace sb::api
