#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb {

// A monotonically increasing count; safe to bump from any thread.
class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// The process's metrics in Prometheus text format. Subsystems register their counters (labelled
// families) and gauges (read at scrape time) once; the registry owns them for the process's life.
class MetricsRegistry {
 public:
  // The counter for one label set of a family, created on first use; the reference stays valid.
  Counter& counter(const std::string& family, const std::string& help,
                   const std::map<std::string, std::string>& labels = {});
  // A value computed when /metrics is scraped; the callback runs on the scraping thread.
  void gauge(const std::string& name, const std::string& help, std::function<double()> read);

  // Several labelled values of one gauge family, computed when /metrics is scraped.
  using LabelledValues = std::vector<std::pair<std::map<std::string, std::string>, double>>;
  void gaugeFamily(const std::string& family, const std::string& help,
                   std::function<LabelledValues()> read);

  std::string renderPrometheus() const;

 private:
  struct Family {
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> byLabels;  // key: rendered label set
  };
  struct Gauge {
    std::string name;
    std::string help;
    std::function<double()> read;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Family> counters_;
  std::vector<Gauge> gauges_;
  struct GaugeFamily {
    std::string name;
    std::string help;
    std::function<LabelledValues()> read;
  };
  std::vector<GaugeFamily> gaugeFamilies_;
};

// A counter family with one label, for counts made per call or per message: each label value's
// counter is looked up in the registry once (which renders label strings under its lock), then
// bumped directly. Not thread-safe: one family per owning thread.
class CounterFamily {
 public:
  CounterFamily(MetricsRegistry& registry, std::string name, std::string help, std::string label)
      : registry_(registry),
        name_(std::move(name)),
        help_(std::move(help)),
        label_(std::move(label)) {}
  void add(std::string_view value, std::uint64_t n = 1);

 private:
  MetricsRegistry& registry_;
  std::string name_;
  std::string help_;
  std::string label_;
  std::map<std::string, Counter*, std::less<>> byValue_;
};

}  // namespace sb
