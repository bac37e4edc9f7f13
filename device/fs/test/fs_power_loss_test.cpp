// Power-loss test: replays a fixed sequence of saves, appends and removes of
// several files (with enough churn for many collector cycles) and cuts power
// at every single flash write and erase of it, three ways (nothing of the
// interrupted operation applied, a prefix of it, a random subset of its bits).
// After each cut it remounts and checks that every file is exactly its old or
// its new version, then finishes the sequence from there and checks the end
// state, so recovery itself is tested too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "fault_flash.h"
#include "mos/fs.h"

namespace mos {
namespace {

using test::FaultFlash;
using Files = std::map<std::string, std::string>;

constexpr uint32_t kSector = 4096;

// Under ASan/UBSan (an unoptimised build, ~17x slower) every 3rd cut point of
// the snapshot suites; the default build cuts at every one.
#if defined(__SANITIZE_ADDRESS__)
constexpr uint64_t kCutStride = 3;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr uint64_t kCutStride = 3;
#else
constexpr uint64_t kCutStride = 1;
#endif
#else
constexpr uint64_t kCutStride = 1;
#endif
constexpr uint32_t kSectors = 10;

struct Step {
  enum Op { kWrite, kAppend, kRemove } op;
  std::string name;
  std::string data;
};

std::string blob(size_t n, std::mt19937& rng) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::vector<Step> make_steps(int count) {
  std::mt19937 rng(1234);
  std::vector<Step> steps;
  Files model;
  for (int i = 0; i < count; ++i) {
    switch (rng() % 6) {
      case 0:
      case 1:
        steps.push_back({Step::kWrite, "conf9.json", blob(100 + rng() % 1400, rng)});
        break;
      case 2:
        steps.push_back({Step::kWrite, "cert.pem", blob(1000 + rng() % 3500, rng)});
        break;
      case 3:
        if (model["ca.pem"].size() > 3000) {
          steps.push_back({Step::kWrite, "ca.pem", blob(300, rng)});
        } else {
          steps.push_back({Step::kAppend, "ca.pem", blob(300 + rng() % 300, rng)});
        }
        break;
      case 4:
        steps.push_back({Step::kWrite, "key.pem", blob(200 + rng() % 200, rng)});
        break;
      case 5:
        if (model.count("tmp")) {
          steps.push_back({Step::kRemove, "tmp", ""});
        } else {
          steps.push_back({Step::kWrite, "tmp", blob(rng() % 2000, rng)});
        }
        break;
    }
    const Step& s = steps.back();
    if (s.op == Step::kWrite) model[s.name] = s.data;
    if (s.op == Step::kAppend) model[s.name] += s.data;
    if (s.op == Step::kRemove) model.erase(s.name);
  }
  return steps;
}

void apply(Files& f, const Step& s) {
  if (s.op == Step::kWrite) f[s.name] = s.data;
  if (s.op == Step::kAppend) f[s.name] += s.data;
  if (s.op == Step::kRemove) f.erase(s.name);
}

Status run(Fs& fs, const Step& s) {
  switch (s.op) {
    case Step::kWrite: return fs.write(s.name, as_bytes(s.data));
    case Step::kAppend: return fs.append(s.name, as_bytes(s.data));
    case Step::kRemove: return fs.remove(s.name);
  }
  return Status::kInvalidArg;
}

Files read_all(Fs& fs) {
  Files out;
  for (size_t i = 0; i < fs.file_count(); ++i) {
    std::string_view name;
    uint32_t size = 0;
    EXPECT_TRUE(fs.file_at(i, &name, &size));
    std::string data(size, '\0');
    size_t n = 0;
    EXPECT_EQ(fs.read(name, 0, ByteSpan(reinterpret_cast<uint8_t*>(data.data()), size), &n), Status::kOk);
    EXPECT_EQ(n, size);
    out[std::string(name)] = data;
  }
  return out;
}

struct Board {
  FaultFlash flash{kSectors * kSector, kSector};
  std::vector<FsSector> sec = std::vector<FsSector>(kSectors);
  Fs fs;
  Status boot() {
    sec.assign(kSectors, FsSector{});
    Status s = fs.init(flash, 0, flash.size(), Span<FsSector>(sec.data(), sec.size()));
    return s == Status::kOk ? fs.mount() : s;
  }
};

// One suite per way of cutting, so CTest runs (and times) them separately.
class FsPowerLoss : public ::testing::TestWithParam<FaultFlash::Partial> {};

std::vector<Files> expected_states(const std::vector<Step>& steps) {
  std::vector<Files> states(1);
  for (const Step& s : steps) {
    states.push_back(states.back());
    apply(states.back(), s);
  }
  return states;
}

// Every write and erase of the sequence is cut once. To keep this linear in
// the number of operations, each cut starts from the flash image taken before
// its step in a clean run (booted, as after any reset), cuts inside that step,
// reboots, checks old-or-new, then runs a few more steps on the recovered store.
// FsPowerLossReplay below replays the whole sequence without snapshots.
TEST_P(FsPowerLoss, EveryCutLeavesOldOrNewVersion) {
  const std::vector<Step> steps = make_steps(200);
  const std::vector<Files> states = expected_states(steps);

  std::vector<std::vector<uint8_t>> snap;  // flash before step k
  std::vector<uint64_t> ops_at;            // flash operations before step k
  uint32_t gc_runs = 0;
  {
    Board b;
    ASSERT_EQ(b.fs.init(b.flash, 0, b.flash.size(), Span<FsSector>(b.sec.data(), b.sec.size())), Status::kOk);
    ASSERT_EQ(b.fs.format(), Status::kOk);
    for (const Step& s : steps) {
      snap.push_back(b.flash.mem());
      ops_at.push_back(b.flash.ops());
      ASSERT_EQ(run(b.fs, s), Status::kOk);
    }
    ops_at.push_back(b.flash.ops());
    gc_runs = b.fs.gc_runs();
    ASSERT_EQ(read_all(b.fs), states.back());
    ASSERT_EQ(b.boot(), Status::kOk);
    ASSERT_EQ(read_all(b.fs), states.back());
  }
  ASSERT_GT(gc_runs, 20u) << "the sequence should make the collector run many times";

  const FaultFlash::Partial mode = GetParam();
  uint64_t cuts = 0, old_seen = 0, new_seen = 0;
  size_t k0 = 0;
  for (uint64_t n = ops_at.front(); n < ops_at.back(); n += kCutStride) {
    while (ops_at[k0 + 1] <= n) ++k0;
    Board b;
    b.flash.mem() = snap[k0];
    ASSERT_EQ(b.boot(), Status::kOk);
    b.flash.arm_cut(b.flash.ops() + (n - ops_at[k0]), mode, static_cast<uint32_t>(n * 3 + static_cast<uint32_t>(mode)));
    size_t k = k0;
    while (k < steps.size() && run(b.fs, steps[k]) == Status::kOk) ++k;
    ASSERT_TRUE(b.flash.dead()) << "cut " << n;
    ASSERT_LT(k, steps.size());
    ++cuts;

    b.flash.power_on();
    ASSERT_EQ(b.boot(), Status::kOk) << "cut " << n;
    Files got = read_all(b.fs);
    bool is_old = got == states[k];
    bool is_new = got == states[k + 1];
    ASSERT_TRUE(is_old || is_new) << "cut at op " << n << " (mode " << static_cast<int>(mode) << ") in step " << k
                                  << " (" << steps[k].name << ") left a file neither old nor new";
    old_seen += is_old;
    new_seen += is_new && !is_old;

    // Go on from the recovered store for a few steps (GC included).
    size_t j = is_new ? k + 1 : k;
    size_t stop = std::min(steps.size(), j + 4);
    for (; j < stop; ++j) {
      ASSERT_EQ(run(b.fs, steps[j]), Status::kOk) << "cut " << n << " step " << j;
      ASSERT_EQ(read_all(b.fs), states[j + 1]) << "cut " << n << " step " << j;
    }
    ASSERT_EQ(b.boot(), Status::kOk);
    ASSERT_EQ(read_all(b.fs), states[stop]) << "cut " << n;
    ASSERT_EQ(b.flash.overwrites(), 0u) << "cut " << n;
  }
  std::printf("power-loss (partial mode %d): %zu steps, %llu flash ops, %u collector runs; %llu cut points: "
              "%llu old, %llu new\n",
              static_cast<int>(mode), steps.size(), static_cast<unsigned long long>(ops_at.back() - ops_at.front()),
              gc_runs, static_cast<unsigned long long>(cuts), static_cast<unsigned long long>(old_seen),
              static_cast<unsigned long long>(new_seen));
  EXPECT_GE(cuts * kCutStride, 1000u);
}

// No snapshots: format, replay the whole sequence up to the cut, recover, and
// finish the whole sequence; every 5th operation, so that it stays quick.
TEST(FsPowerLossReplay, CutsInAContinuousRunThenFinishTheSequence) {
  const std::vector<Step> steps = make_steps(130);
  const std::vector<Files> states = expected_states(steps);
  uint64_t base = 0, total_ops = 0;
  {
    Board b;
    ASSERT_EQ(b.fs.init(b.flash, 0, b.flash.size(), Span<FsSector>(b.sec.data(), b.sec.size())), Status::kOk);
    ASSERT_EQ(b.fs.format(), Status::kOk);
    base = b.flash.ops();
    for (const Step& s : steps) ASSERT_EQ(run(b.fs, s), Status::kOk);
    total_ops = b.flash.ops() - base;
  }
  uint64_t cuts = 0;
  for (uint64_t n = 0; n < total_ops; n += 5 * kCutStride) {
    Board b;
    ASSERT_EQ(b.fs.init(b.flash, 0, b.flash.size(), Span<FsSector>(b.sec.data(), b.sec.size())), Status::kOk);
    ASSERT_EQ(b.fs.format(), Status::kOk);
    b.flash.arm_cut(base + n, FaultFlash::Partial::kRandomBits, static_cast<uint32_t>(n));
    size_t k = 0;
    while (k < steps.size() && run(b.fs, steps[k]) == Status::kOk) ++k;
    ASSERT_TRUE(b.flash.dead()) << "cut " << n;
    ++cuts;
    b.flash.power_on();
    ASSERT_EQ(b.boot(), Status::kOk) << "cut " << n;
    Files got = read_all(b.fs);
    bool is_new = got == states[k + 1];
    ASSERT_TRUE(got == states[k] || is_new) << "cut at op " << n << " in step " << k;
    for (size_t j = is_new ? k + 1 : k; j < steps.size(); ++j) {
      ASSERT_EQ(run(b.fs, steps[j]), Status::kOk) << "cut " << n << " step " << j;
    }
    ASSERT_EQ(read_all(b.fs), states.back()) << "cut " << n;
    ASSERT_EQ(b.boot(), Status::kOk);
    ASSERT_EQ(read_all(b.fs), states.back()) << "cut " << n;
    ASSERT_EQ(b.flash.overwrites(), 0u) << "cut " << n;
  }
  std::printf("power-loss replay: %zu steps, %llu cut points\n", steps.size(), static_cast<unsigned long long>(cuts));
}

INSTANTIATE_TEST_SUITE_P(Modes, FsPowerLoss,
                         ::testing::Values(FaultFlash::Partial::kNone, FaultFlash::Partial::kPrefix,
                                           FaultFlash::Partial::kRandomBits),
                         [](const ::testing::TestParamInfo<FaultFlash::Partial>& p) {
                           switch (p.param) {
                             case FaultFlash::Partial::kNone: return std::string("NothingApplied");
                             case FaultFlash::Partial::kPrefix: return std::string("PartApplied");
                             case FaultFlash::Partial::kRandomBits: return std::string("RandomBitsApplied");
                           }
                           return std::string("Unknown");
                         });

// The case the intent record exists for: the collector's erase of the tail is
// cut after erasing a tombstone but not the older version it buries. Without
// the intent, mount would bring the removed file back.
TEST(FsPowerLossIntent, HalfErasedTombstoneDoesNotResurrectAFile) {
  auto setup = [](Board& b) {
    EXPECT_EQ(b.fs.init(b.flash, 0, b.flash.size(), Span<FsSector>(b.sec.data(), b.sec.size())), Status::kOk);
    EXPECT_EQ(b.fs.format(), Status::kOk);
    EXPECT_EQ(b.fs.write("gone", as_bytes("old secret")), Status::kOk);  // sector 0, bytes 16..56
    EXPECT_EQ(b.fs.remove("gone"), Status::kOk);                         // tombstone at 56..84
  };
  std::mt19937 rng(5);
  std::string hot = blob(3000, rng);
  uint64_t erase_op = 0;
  {
    Board b;
    setup(b);
    uint64_t from = b.flash.ops();
    for (int i = 0; i < 40 && b.flash.first_erase_op(0, from) == UINT64_MAX; ++i) {
      ASSERT_EQ(b.fs.write("hot", as_bytes(hot)), Status::kOk);
    }
    erase_op = b.flash.first_erase_op(0, from);
    ASSERT_NE(erase_op, UINT64_MAX);
  }
  Board b;
  setup(b);
  b.flash.arm_cut(erase_op, FaultFlash::Partial::kPrefix, 1);
  b.flash.set_erase_stretch(56, 28);
  for (int i = 0; i < 40 && !b.flash.dead(); ++i) {
    if (b.fs.write("hot", as_bytes(hot)) != Status::kOk) break;
  }
  ASSERT_TRUE(b.flash.dead());
  b.flash.power_on();
  ASSERT_EQ(b.boot(), Status::kOk);
  uint32_t size = 0;
  EXPECT_EQ(b.fs.stat("gone", &size), Status::kNotFound);
  EXPECT_EQ(read_all(b.fs)["hot"], hot);
}

}  // namespace
}  // namespace mos
