#pragma once

#include "core/time.hpp"
#include "store/store.hpp"

namespace sb::app {

inline constexpr const char* kDemoPassword = "demo";

// Creates the demo organisation on the first start of a demo installation: admin "admin",
// supervisor "1000", agents "1001"-"1010", skill groups "售前 Pre-sales" and "售后 After-sales",
// all with password "demo" for the web and SIP. Does nothing once seeded, or when users exist.
// Returns whether it seeded. Runs on the store thread (or before the loop starts).
bool seedDemoData(store::Store& store, UnixSeconds now);

}  // namespace sb::app
