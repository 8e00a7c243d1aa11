// BlobStore on both engines, from the uploader's side (security review M8): an image whose header
// declares more pixels than allowed is refused at upload and nothing is stored; per-account
// quotas stop an endless uploader (count, bytes a day, bytes in all) while another account still
// uploads, and reopen after 24 hours; concurrent uploads of one account do not overshoot.
#include "service/blob/blob_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "support/engine_fixture.h"
#include "support/image_bombs.h"

namespace certseal::service {
namespace {

class BlobStoreTest : public testing::EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* id : {"mallory", "alice"}) {
      auto r = db_->write([&](store::Tx& tx) -> Status {
        CS_TRY(tx.exec("INSERT INTO accounts (id, phone, status, created_at) VALUES (?, ?, 'active', 'now')",
                       {id, std::string("1390000000") + (id[0] == 'm' ? "1" : "2")}));
        return {};
      });
      ASSERT_TRUE(r.ok()) << r.error().cause;
    }
  }
  BlobStore& store(BlobLimits limits) {
    blobs_ = std::make_unique<BlobStore>(dir_.path() + "/blobs", *db_, clock_, rng_, limits);
    return *blobs_;
  }
  Result<BlobInfo> put_png(const std::string& owner, const Bytes& png) {
    return blobs_->put(owner, "licence", "image/png", png, {"image/jpeg", "image/png"});
  }
  std::int64_t rows(const std::string& owner) {
    auto n = db_->read_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
      CS_ASSIGN(auto r, tx.query_one("SELECT COUNT(*) AS n FROM blobs WHERE owner_account_id = ?", {owner}));
      return r ? r->integer("n") : 0;
    });
    return n.ok() ? *n : -1;
  }
  std::size_t files() {
    std::size_t n = 0;
    std::error_code ec;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir_.path() + "/blobs", ec)) n += e.is_regular_file();
    return n;
  }
  // A distinct small PNG each time (distinct content, so distinct files).
  Bytes png(std::uint32_t i) { return certseal::testing::png_bomb(16 + i, 16); }

  ManualClock clock_{SysTime(std::chrono::seconds(1'800'000'000))};
  SystemRng rng_;
  std::unique_ptr<BlobStore> blobs_;
};

TEST_P(BlobStoreTest, ImagesDeclaring30000SquareAreRefusedAtUploadAndNothingIsStored) {
  store(BlobLimits{});
  auto p = put_png("mallory", certseal::testing::png_bomb(30000, 30000));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "image_too_large");
  auto j = blobs_->put("mallory", "id_card_front", "image/jpeg", certseal::testing::jpeg_declaring(30000, 30000),
                       {"image/jpeg", "image/png"});
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, "image_too_large");
  // A header that cannot be read is not stored as an image either.
  Bytes broken = png(1);
  broken.resize(20);
  EXPECT_EQ(put_png("mallory", broken).error().code, "unreadable_image");
  EXPECT_EQ(rows("mallory"), 0);
  EXPECT_EQ(files(), 0u);
  // Within the limits: stored.
  EXPECT_TRUE(put_png("mallory", certseal::testing::png_bomb(4000, 3000)).ok());
  EXPECT_EQ(rows("mallory"), 1);
}

TEST_P(BlobStoreTest, QuotaStopsAnEndlessUploaderWhileAnotherAccountStillUploads) {
  BlobLimits limits;
  limits.daily_count = 3;
  store(limits);
  for (std::uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(put_png("mallory", png(i)).ok()) << i;
  const std::size_t files_before = files();
  auto refused = put_png("mallory", png(3));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "upload_quota_exceeded");
  EXPECT_EQ(refused.error().kind, ErrorKind::kResourceExhausted);  // 429 problem+json
  EXPECT_NE(refused.error().message.find("24"), std::string::npos) << refused.error().message;
  EXPECT_EQ(rows("mallory"), 3);
  EXPECT_EQ(files(), files_before);  // nothing written to disk for a refused upload
  // Someone else is not affected.
  EXPECT_TRUE(put_png("alice", png(4)).ok());
  // A day later the window has moved on.
  clock_.advance(std::chrono::hours(24));
  EXPECT_TRUE(put_png("mallory", png(5)).ok());
}

TEST_P(BlobStoreTest, ByteQuotasPerDayAndInAll) {
  BlobLimits limits;
  Bytes one = png(1);
  limits.daily_bytes = static_cast<std::int64_t>(one.size()) * 2;
  limits.total_bytes = static_cast<std::int64_t>(one.size()) * 3;
  store(limits);
  ASSERT_TRUE(put_png("mallory", png(1)).ok());
  ASSERT_TRUE(put_png("mallory", png(1)).ok());
  EXPECT_EQ(put_png("mallory", png(1)).error().code, "upload_quota_exceeded");  // bytes a day
  clock_.advance(std::chrono::hours(25));
  ASSERT_TRUE(put_png("mallory", png(1)).ok());
  EXPECT_EQ(put_png("mallory", png(1)).error().code, "upload_quota_exceeded");  // bytes in all
  clock_.advance(std::chrono::hours(25));
  EXPECT_EQ(put_png("mallory", png(1)).error().code, "upload_quota_exceeded");  // still in all
  EXPECT_TRUE(put_png("alice", png(1)).ok());
  EXPECT_EQ(rows("mallory"), 3);
}

TEST_P(BlobStoreTest, ConcurrentUploadsOfOneAccountDoNotOvershootTheQuota) {
  BlobLimits limits;
  limits.daily_count = 5;
  store(limits);
  std::vector<Bytes> images;
  for (std::uint32_t i = 0; i < 20; ++i) images.push_back(png(i));
  std::atomic<int> stored{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (std::uint32_t i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      auto r = put_png("mallory", images[i]);
      if (r.ok()) {
        ++stored;
      } else if (r.error().code == "upload_quota_exceeded") {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(stored.load(), 5);
  EXPECT_EQ(refused.load(), 15);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(rows("mallory"), 5);
}

CERTSEAL_INSTANTIATE_ENGINES(BlobStoreTest);

}  // namespace
}  // namespace certseal::service
