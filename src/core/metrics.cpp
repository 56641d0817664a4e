#include "core/metrics.hpp"

#include <fmt/format.h>

namespace sb {

namespace {

std::string escapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string renderLabels(const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out += ",";
    first = false;
    out += fmt::format("{}=\"{}\"", key, escapeLabelValue(value));
  }
  out += "}";
  return out;
}

}  // namespace

Counter& MetricsRegistry::counter(const std::string& family, const std::string& help,
                                  const std::map<std::string, std::string>& labels) {
  std::lock_guard lock(mutex_);
  Family& f = counters_[family];
  if (f.help.empty()) f.help = help;
  auto& slot = f.byLabels[renderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

void MetricsRegistry::gauge(const std::string& name, const std::string& help,
                            std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_.push_back({name, help, std::move(read)});
}

void MetricsRegistry::gaugeFamily(const std::string& family, const std::string& help,
                                  std::function<LabelledValues()> read) {
  std::lock_guard lock(mutex_);
  gaugeFamilies_.push_back({family, help, std::move(read)});
}

std::string MetricsRegistry::renderPrometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& g : gauges_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", g.name, g.help, g.name, g.name,
                       g.read());
  }
  for (const auto& f : gaugeFamilies_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", f.name, f.help, f.name);
    for (const auto& [labels, value] : f.read())
      out += fmt::format("{}{} {}\n", f.name, renderLabels(labels), value);
  }
  for (const auto& [name, family] : counters_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, family.help, name);
    for (const auto& [labels, counter] : family.byLabels) {
      out += fmt::format("{}{} {}\n", name, labels, counter->value());
    }
  }
  return out;
}

void CounterFamily::add(std::string_view value, std::uint64_t n) {
  auto it = byValue_.find(value);
  if (it == byValue_.end()) {
    auto& counter = registry_.counter(name_, help_, {{label_, std::string(value)}});
    it = byValue_.emplace(std::string(value), &counter).first;
  }
  it->second->add(n);
}

}  // namespace sb
