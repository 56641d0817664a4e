#include "core/metrics.hpp"

#include <gtest/gtest.h>

namespace sb {
namespace {

TEST(MetricsRegistryTest, CountersOfOneFamilyShareHelpAndKeepTheirLabels) {
  MetricsRegistry registry;
  registry.counter("sb_requests_total", "Requests.", {{"code", "200"}}).add(3);
  registry.counter("sb_requests_total", "Requests.", {{"code", "404"}}).add();
  auto text = registry.renderPrometheus();
  EXPECT_NE(text.find("# TYPE sb_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("sb_requests_total{code=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("sb_requests_total{code=\"404\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("# HELP sb_requests_total"), text.rfind("# HELP sb_requests_total"));
}

TEST(MetricsRegistryTest, TheSameLabelsReturnTheSameCounter) {
  MetricsRegistry registry;
  Counter& a = registry.counter("x_total", "X.", {{"k", "v"}});
  Counter& b = registry.counter("x_total", "X.", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
}

TEST(CounterFamilyTest, CountsEachLabelValueInTheRegistry) {
  MetricsRegistry registry;
  CounterFamily calls(registry, "sb_calls_total", "Calls.", "result");
  calls.add("answered");
  calls.add("answered", 2);
  calls.add("abandoned");
  EXPECT_EQ(registry.counter("sb_calls_total", "Calls.", {{"result", "answered"}}).value(), 3U);
  EXPECT_EQ(registry.counter("sb_calls_total", "Calls.", {{"result", "abandoned"}}).value(), 1U);
  registry.counter("sb_calls_total", "Calls.", {{"result", "answered"}}).add();  // shared
  calls.add("answered");
  EXPECT_NE(registry.renderPrometheus().find("sb_calls_total{result=\"answered\"} 5\n"),
            std::string::npos);
}

TEST(MetricsRegistryTest, GaugesAreReadWhenRendered) {
  MetricsRegistry registry;
  double value = 1;
  registry.gauge("sb_things", "Things.", [&] { return value; });
  value = 42;
  EXPECT_NE(registry.renderPrometheus().find("sb_things 42\n"), std::string::npos);
}

TEST(MetricsRegistryTest, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.counter("y_total", "Y.", {{"path", "a\"b\\c\nd"}}).add();
  EXPECT_NE(registry.renderPrometheus().find(R"(y_total{path="a\"b\\c\nd"} 1)"), std::string::npos);
}

TEST(MetricsRegistryTest, GaugeFamiliesRenderEachLabelSetUnderOneHelp) {
  MetricsRegistry registry;
  int reads = 0;
  registry.gaugeFamily("sb_queue_waiting", "Callers waiting.", [&] {
    ++reads;
    return MetricsRegistry::LabelledValues{{{{"group", "a"}}, 2}, {{{"group", "b\"c"}}, 0}};
  });
  auto text = registry.renderPrometheus();
  EXPECT_EQ(reads, 1);
  EXPECT_NE(text.find("# HELP sb_queue_waiting Callers waiting.\n# TYPE sb_queue_waiting gauge\n"
                      "sb_queue_waiting{group=\"a\"} 2\nsb_queue_waiting{group=\"b\\\"c\"} 0\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace sb
