// Every JSON request body decoder of the REST API against arbitrary bytes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/requests.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  const sb::api::Policy policy{4};
  (void)sb::api::decodeLogin(body);
  (void)sb::api::decodePasswordChange(body, policy);
  (void)sb::api::decodeUserCreate(body, policy);
  (void)sb::api::decodeUserPatch(body, policy);
  (void)sb::api::decodeSkillGroupCreate(body);
  (void)sb::api::decodeAgentState(body);
  return 0;
}
