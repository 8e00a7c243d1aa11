#include "service/blob/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"

namespace certseal::service {

std::optional<std::string> sniff_media_type(BytesView d) {
  auto starts = [&](std::initializer_list<std::uint8_t> sig) {
    return d.size() >= sig.size() && std::equal(sig.begin(), sig.end(), d.begin());
  };
  if (starts({0xFF, 0xD8, 0xFF})) return "image/jpeg";
  if (starts({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) return "image/png";
  if (starts({'%', 'P', 'D', 'F', '-'})) return "application/pdf";
  return std::nullopt;
}

namespace {
std::string mib(std::int64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }
}  // namespace

Status BlobStore::check_quota(store::Tx& tx, const std::string& owner, std::int64_t size) {
  // Serialise one owner's uploads: on PostgreSQL two transactions would otherwise both count
  // the same rows and both insert. SQLite's single writer already serialises them.
  if (tx.engine() == store::Engine::kPostgres) {
    CS_TRY(tx.query("SELECT id FROM accounts WHERE id = ? FOR UPDATE", {owner}));
  }
  const std::string since = format_rfc3339(clock_.now() - std::chrono::hours(24));
  CS_ASSIGN(auto day, tx.query_one("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM blobs "
                                   "WHERE owner_account_id = ? AND created_at > ?",
                                   {owner, since}));
  CS_ASSIGN(auto all, tx.query_one("SELECT COALESCE(SUM(size), 0) AS bytes FROM blobs WHERE owner_account_id = ?",
                                   {owner}));
  const std::int64_t day_n = day ? day->integer("n") : 0, day_bytes = day ? day->integer("bytes") : 0;
  const std::int64_t total = all ? all->integer("bytes") : 0;
  auto exceeded = [](std::string msg) {
    return Error(ErrorKind::kResourceExhausted, "upload_quota_exceeded", std::move(msg));
  };
  if (day_n + 1 > limits_.daily_count) {
    return exceeded("24 小时内最多上传 " + std::to_string(limits_.daily_count) + " 个文件，请稍后再试 (at most " +
                    std::to_string(limits_.daily_count) + " uploads in 24 hours)");
  }
  if (day_bytes + size > limits_.daily_bytes) {
    return exceeded("24 小时内最多上传 " + mib(limits_.daily_bytes) + "，请稍后再试 (at most " +
                    mib(limits_.daily_bytes) + " of uploads in 24 hours)");
  }
  if (total + size > limits_.total_bytes) {
    return exceeded("上传文件总量已达上限 " + mib(limits_.total_bytes) + " (at most " + mib(limits_.total_bytes) +
                    " of uploads per account)");
  }
  return {};
}

Status BlobStore::write_file(const BlobInfo& b, BytesView data) {
  namespace fs = std::filesystem;
  fs::path folder = fs::path(dir_) / b.sha256.substr(0, 2);
  fs::path final_path = folder / b.sha256;
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return internal_error("blob folder " + folder.string() + ": " + ec.message());
  if (fs::exists(final_path)) return {};
  fs::path tmp = folder / (b.sha256 + "." + b.id + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return internal_error("blob write " + tmp.string());
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      fs::remove(tmp, ec);
      return internal_error("blob write " + tmp.string());
    }
    done += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  fs::rename(tmp, final_path, ec);
  if (ec) return internal_error("blob rename: " + ec.message());
  return {};
}

Result<BlobInfo> BlobStore::put(const std::string& owner, const std::string& purpose,
                                std::string_view declared, BytesView data,
                                std::initializer_list<std::string_view> allowed) {
  if (data.size() > limits_.max_bytes) {
    return Error(ErrorKind::kPayloadTooLarge, "blob_too_large",
                 "the file is larger than " + std::to_string(limits_.max_bytes / 1024) + " KiB");
  }
  if (data.empty()) return invalid_argument("empty_file", "the file is empty");
  auto actual = sniff_media_type(data);
  std::string declared_type(declared.substr(0, declared.find(';')));
  bool ok = actual && *actual == declared_type &&
            std::find(allowed.begin(), allowed.end(), *actual) != allowed.end();
  if (!ok) {
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    return Error(ErrorKind::kUnsupportedMediaType, "unsupported_file_type",
                 "the file must be one of: " + list + " (checked by its content)");
  }
  // From the header only: whatever decodes this image later can rely on its size.
  if (*actual != "application/pdf") CS_TRY(docsign::check_image(data, limits_.image));
  BlobInfo b;
  b.id = new_uuid_v7(clock_, rng_);
  b.sha256 = hex_encode(crypto::sha256(data));
  b.media_type = *actual;
  b.size = static_cast<std::int64_t>(data.size());
  b.owner_account_id = owner;
  b.purpose = purpose;
  b.created_at = format_rfc3339(clock_.now());

  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(check_quota(tx, owner, b.size));
    CS_TRY(tx.exec("INSERT INTO blobs (id, sha256, media_type, size, owner_account_id, purpose, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   {b.id, b.sha256, b.media_type, b.size, b.owner_account_id, b.purpose, b.created_at}));
    return {};
  }));
  if (Status written = write_file(b, data); !written.ok()) {
    (void)db_.write([&](store::Tx& tx) -> Status {
      CS_TRY(tx.exec("DELETE FROM blobs WHERE id = ?", {b.id}));
      return {};
    });
    return std::move(written).error();
  }
  return b;
}

Result<BlobInfo> BlobStore::info(const std::string& id) {
  return db_.read_value<BlobInfo>([&](store::Tx& tx) -> Result<BlobInfo> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM blobs WHERE id = ?", {id}));
    if (!r) return not_found("blob_not_found", "no such file");
    BlobInfo b;
    b.id = r->text("id");
    b.sha256 = r->text("sha256");
    b.media_type = r->text("media_type");
    b.size = r->integer("size");
    b.owner_account_id = r->text("owner_account_id");
    b.purpose = r->text("purpose");
    b.created_at = r->text("created_at");
    return b;
  });
}

Result<Bytes> BlobStore::read(const BlobInfo& b) {
  std::ifstream in(std::filesystem::path(dir_) / b.sha256.substr(0, 2) / b.sha256, std::ios::binary);
  if (!in) return internal_error("blob file missing for " + b.id);
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (hex_encode(crypto::sha256(data)) != b.sha256) {
    return internal_error("blob file " + b.sha256 + " does not match its hash");
  }
  return data;
}

}  // namespace certseal::service
