#pragma once
// Objects owned by number. A number finds its object by indexing a vector: no hashing, and a
// lookup touches one slot. A number whose object is gone finds nothing, even once its slot holds
// another object, because each slot counts its occupants (the generation) and the number
// carries the count it was given with.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace sb {

template <typename T>
class SlotMap {
 public:
  using Id = std::uint64_t;
  // Ids have the slot's index in their low 32 bits and its generation (1 to 2^31 - 1, never 0)
  // above; the top bit is the map's tag, so that two maps' ids never coincide.
  static constexpr Id kTagBit = Id{1} << 63;

  explicit SlotMap(bool tagged = false) : tag_(tagged ? kTagBit : 0) {}

  // Never 0.
  Id insert(std::unique_ptr<T> value) {
    std::uint32_t index = 0;
    if (!free_.empty()) {
      index = free_.back();  // the slot freed last: the one most likely still in the cache
      free_.pop_back();
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    Slot& slot = slots_[index];
    slot.value = std::move(value);
    ++size_;
    return tag_ | (Id{slot.generation} << 32) | index;
  }

  T* find(Id id) const {
    auto index = indexOf(id);
    return index == kNone ? nullptr : slots_[index].value.get();
  }

  // The object, now owned by the caller; null when there is none.
  std::unique_ptr<T> erase(Id id) {
    auto index = indexOf(id);
    if (index == kNone) return nullptr;
    Slot& slot = slots_[index];
    auto value = std::move(slot.value);
    slot.generation = slot.generation == kMaxGeneration ? 1 : slot.generation + 1;
    free_.push_back(static_cast<std::uint32_t>(index));
    --size_;
    return value;
  }

  std::size_t size() const { return size_; }

  template <typename F>
  void forEach(F&& f) {
    for (auto& slot : slots_) {
      if (slot.value) f(*slot.value);
    }
  }
  template <typename F>
  void forEach(F&& f) const {
    for (const auto& slot : slots_) {
      if (slot.value) f(std::as_const(*slot.value));
    }
  }

 private:
  static constexpr std::uint32_t kMaxGeneration = 0x7fffffff;
  struct Slot {
    std::unique_ptr<T> value;
    std::uint32_t generation = 1;
  };

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  std::size_t indexOf(Id id) const {
    if ((id & kTagBit) != tag_) return kNone;
    std::size_t index = static_cast<std::uint32_t>(id);
    auto generation = static_cast<std::uint32_t>((id & ~kTagBit) >> 32);
    if (index >= slots_.size()) return kNone;
    const Slot& slot = slots_[index];
    if (slot.generation != generation || !slot.value) return kNone;
    return index;
  }

  Id tag_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t size_ = 0;
};

}  // namespace sb
