// Costs on the request path that do not touch the network: routing, decoding, hashing.

#include <benchmark/benchmark.h>

#include "api/requests.hpp"
#include "api/router.hpp"
#include "auth/passwords.hpp"
#include "auth/tokens.hpp"

namespace {

void routeMatch(benchmark::State& state) {
  sb::api::Router router;
  int id = 0;
  for (const char* path :
       {"/healthz", "/metrics", "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/me",
        "/api/v1/me/password", "/api/v1/users", "/api/v1/users/{id}", "/api/v1/skill-groups"}) {
    router.add("GET", path, id++);
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(router.match("GET", "/api/v1/users/1234"));
}
BENCHMARK(routeMatch);

void decodeLogin(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(sb::api::decodeLogin(R"({"username":"1001","password":"demo"})"));
  }
}
BENCHMARK(decodeLogin);

void decodeUserCreate(benchmark::State& state) {
  const sb::api::Policy policy{4};
  const char* body =
      R"({"username":"1011","name":"温平","password":"pw-1011","roles":["agent","supervisor"],)"
      R"("settings":{"auto_answer":true,"initial_state":"busy"},)"
      R"("skill_groups":[{"id":1,"level":9},{"name":"售后 After-sales"}]})";
  for (auto _ : state)
    benchmark::DoNotOptimize(sb::api::decodeUserCreate(body, policy));
}
BENCHMARK(decodeUserCreate);

void tokenHash(benchmark::State& state) {
  auto token = sb::auth::newBearerToken();
  for (auto _ : state)
    benchmark::DoNotOptimize(sb::auth::hashToken(token));
}
BENCHMARK(tokenHash);

void passwordVerifyArgon2id(benchmark::State& state) {
  auto hash = sb::auth::hashPassword("demo");
  for (auto _ : state)
    benchmark::DoNotOptimize(sb::auth::verifyPassword("demo", hash));
}
BENCHMARK(passwordVerifyArgon2id)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
