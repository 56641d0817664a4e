#include "core/slot_map.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace sb {
namespace {

TEST(SlotMapTest, FindsWhatItHoldsByItsId) {
  SlotMap<std::string> map;
  auto a = map.insert(std::make_unique<std::string>("a"));
  auto b = map.insert(std::make_unique<std::string>("b"));
  EXPECT_NE(a, 0U);
  EXPECT_NE(a, b);
  ASSERT_NE(map.find(a), nullptr);
  EXPECT_EQ(*map.find(a), "a");
  EXPECT_EQ(*map.find(b), "b");
  EXPECT_EQ(map.size(), 2U);
  EXPECT_EQ(map.find(0), nullptr);
  EXPECT_EQ(map.find(b + 1), nullptr);  // a slot that was never used
}

TEST(SlotMapTest, AnErasedIdFindsNothingEvenWhenItsSlotIsReused) {
  SlotMap<std::string> map;
  auto first = map.insert(std::make_unique<std::string>("first"));
  auto erased = map.erase(first);
  ASSERT_NE(erased, nullptr);
  EXPECT_EQ(*erased, "first");
  EXPECT_EQ(map.size(), 0U);
  EXPECT_EQ(map.find(first), nullptr);
  EXPECT_EQ(map.erase(first), nullptr);

  auto second = map.insert(std::make_unique<std::string>("second"));
  EXPECT_NE(second, first);
  EXPECT_EQ(static_cast<std::uint32_t>(second), static_cast<std::uint32_t>(first));  // same slot
  EXPECT_EQ(map.find(first), nullptr);
  EXPECT_EQ(map.erase(first), nullptr);
  ASSERT_NE(map.find(second), nullptr);
  EXPECT_EQ(*map.find(second), "second");
}

TEST(SlotMapTest, IdsStayUniqueThroughChurn) {
  SlotMap<int> map;
  std::set<SlotMap<int>::Id> seen;
  std::vector<SlotMap<int>::Id> live;
  for (int i = 0; i < 1000; ++i) {
    auto id = map.insert(std::make_unique<int>(i));
    EXPECT_TRUE(seen.insert(id).second) << "id given twice: " << id;
    live.push_back(id);
    if (i % 3 == 2) {  // keep a third of them, let the rest go in turn
      map.erase(live[live.size() - 2]);
      live.erase(live.end() - 2);
    }
  }
  EXPECT_EQ(map.size(), live.size());
  for (auto id : live)
    EXPECT_NE(map.find(id), nullptr);
  int visited = 0;
  map.forEach([&visited](int&) { ++visited; });
  EXPECT_EQ(visited, static_cast<int>(live.size()));
}

TEST(SlotMapTest, ATaggedMapsIdsNeverMatchAnUntaggedMaps) {
  SlotMap<int> plain;
  SlotMap<int> tagged(/*tagged=*/true);
  auto p = plain.insert(std::make_unique<int>(1));
  auto t = tagged.insert(std::make_unique<int>(2));
  EXPECT_NE(p, t);
  EXPECT_EQ(plain.find(t), nullptr);
  EXPECT_EQ(tagged.find(p), nullptr);
  ASSERT_NE(tagged.find(t), nullptr);
  EXPECT_EQ(*tagged.find(t), 2);
}

}  // namespace
}  // namespace sb
