#pragma once
// The REST API's handlers. Runs on the control loop; every blocking step (database, password
// hashing, file reads) is awaited on a worker pool.

#include <chrono>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "api/http_types.hpp"
#include "api/requests.hpp"
#include "api/router.hpp"
#include "api/telephony.hpp"
#include "auth/sign_in_guard.hpp"
#include "config/config.hpp"
#include "core/metrics.hpp"
#include "core/time.hpp"
#include "core/worker.hpp"
#include "store/store.hpp"

namespace sb::api {

class ApiService {
 public:
  struct Deps {
    const config::Config& config;
    store::Store& store;
    WorkerPool& storePool;     // one thread: the only one that touches `store`
    WorkerPool& blockingPool;  // password hashing, static files
    MetricsRegistry& metrics;
    const Clock& clock;
    Telephony* telephony = nullptr;  // absent in tests that do not need it
  };

  explicit ApiService(Deps deps);

  // Answers one request; never throws (failures become 500 with a JSON body).
  asio::awaitable<Response> handle(Request& request);

 private:
  struct Caller {
    store::User user;
    std::string tokenHash;
  };
  using Handler = asio::awaitable<Response> (ApiService::*)(Request&, Caller*);
  enum class Access { kPublic, kSignedIn, kSupervisor, kAdmin };
  struct Route {
    Access access;
    Handler handler;
  };

  void route(const char* method, const char* pattern, Access access, Handler handler);
  asio::awaitable<Response> dispatch(Request& request);
  asio::awaitable<std::optional<Caller>> authenticate(const Request& request);
  asio::awaitable<Response> serveStatic(Request& request);

  asio::awaitable<Response> healthz(Request&, Caller*);
  asio::awaitable<Response> metrics(Request&, Caller*);
  asio::awaitable<Response> login(Request&, Caller*);
  asio::awaitable<Response> logout(Request&, Caller*);
  asio::awaitable<Response> me(Request&, Caller*);
  asio::awaitable<Response> changePassword(Request&, Caller*);
  asio::awaitable<Response> listUsers(Request&, Caller*);
  asio::awaitable<Response> createUser(Request&, Caller*);
  asio::awaitable<Response> getUser(Request&, Caller*);
  asio::awaitable<Response> patchUser(Request&, Caller*);
  asio::awaitable<Response> deleteUser(Request&, Caller*);
  asio::awaitable<Response> listSkillGroups(Request&, Caller*);
  asio::awaitable<Response> createSkillGroup(Request&, Caller*);
  asio::awaitable<Response> listRegistrations(Request&, Caller*);
  asio::awaitable<Response> listBans(Request&, Caller*);
  asio::awaitable<Response> deleteBan(Request&, Caller*);
  asio::awaitable<Response> listTrunks(Request&, Caller*);
  asio::awaitable<Response> agentSignIn(Request&, Caller*);
  asio::awaitable<Response> agentSignOut(Request&, Caller*);
  asio::awaitable<Response> agentReset(Request&, Caller*);
  asio::awaitable<Response> resetAgent(Request&, Caller*);
  asio::awaitable<Response> agentSetState(Request&, Caller*);
  asio::awaitable<Response> listAgents(Request&, Caller*);
  asio::awaitable<Response> listQueues(Request&, Caller*);
  asio::awaitable<Response> listCalls(Request&, Caller*);
  asio::awaitable<Response> getCall(Request&, Caller*);
  asio::awaitable<Response> getCallRecording(Request&, Caller*);
  asio::awaitable<Response> getCallVoicemail(Request&, Caller*);
  // The call the {call} path parameter names, if the caller may see it (nullopt: 404).
  asio::awaitable<std::optional<store::CallRecord>> visibleCall(const Request& request,
                                                                const Caller& caller);
  // `which` is "recording" or "voicemail".
  asio::awaitable<Response> callFile(Request& request, Caller& caller, std::string_view which);
  Response agentCommand(Caller& caller, AgentCommand command, const std::string& reason,
                        const std::string& mobileNumber = {});

  // Runs `work(store)` on the store thread.
  template <typename Work>
  asio::awaitable<std::invoke_result_t<Work, store::Store&>> inStore(Work work) {
    return runOn(deps_.storePool,
                 [&store = deps_.store, work = std::move(work)]() mutable { return work(store); });
  }
  asio::awaitable<std::string> hashPassword(std::string password);

  Deps deps_;
  Policy policy_;
  Router router_;
  std::vector<Route> routes_;
  std::chrono::steady_clock::time_point started_;
  auth::SignInGuard signIns_;
  Counter& loginsOk_;
  Counter& loginsFailed_;
  Counter& loginsThrottled_;
};

}  // namespace sb::api
