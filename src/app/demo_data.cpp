#include "app/demo_data.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "auth/passwords.hpp"

namespace sb::app {

namespace {

void createOrThrow(store::Store& store, const store::NewUser& user, UnixSeconds now) {
  auto created = store.users().create(user, now);
  if (!created) throw store::StoreError("demo data: " + created.error().message);
}

}  // namespace

bool seedDemoData(store::Store& store, UnixSeconds now) {
  if (store.meta().get("demo_seeded") || store.users().count() > 0) return false;

  auto group = [&](const char* name) {
    auto g = store.skillGroups().create(name, now);
    if (!g) throw store::StoreError("demo data: " + g.error().message);
    return g->id;
  };
  auto preSales = group("售前 Pre-sales");
  auto afterSales = group("售后 After-sales");

  // One hash for all: the demo's passwords are public anyway.
  std::string hash = auth::hashPassword(kDemoPassword);
  using store::Role;
  createOrThrow(store, {"admin", "Administrator", hash, kDemoPassword, {Role::kAdmin}, {}, {}},
                now);
  createOrThrow(store,
                {"1000",
                 "Supervisor 1000",
                 hash,
                 kDemoPassword,
                 {Role::kSupervisor, Role::kAgent},
                 {},
                 {{preSales, 8}, {afterSales, 8}}},
                now);
  for (int id = 1001; id <= 1010; ++id) {
    std::vector<store::SkillAssignment> skills;
    if (id <= 1005) skills.push_back({preSales, 5});
    if (id >= 1005) skills.push_back({afterSales, id == 1005 ? 3 : 5});
    createOrThrow(store,
                  {std::to_string(id),
                   fmt::format("Agent {}", id),
                   hash,
                   kDemoPassword,
                   {Role::kAgent},
                   {},
                   std::move(skills)},
                  now);
  }
  store.meta().set("demo_seeded", formatIso8601(now));
  spdlog::info("demo data created: admin, supervisor 1000, agents 1001-1010, password \"{}\"",
               kDemoPassword);
  return true;
}

}  // namespace sb::app
