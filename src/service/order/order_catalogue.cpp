// OrderService: the catalogue of trading platforms, seal makers and products (order_service.h).
#include "service/order/order_service.h"

#include <algorithm>
#include <chrono>
#include <regex>

#include "base/id.h"
#include "store/page_query.h"
#include "docsign/text_render.h"
#include "service/notify/inbox.h"
#include "service/ca/ca_service.h"
#include "service/order/order_internal.h"

namespace certseal::service {
using namespace order_internal;

// ---- Catalogue -------------------------------------------------------------------------------

Result<PlatformView> OrderService::add_platform(const std::string& name, const std::string& id) {
  CS_TRY(check_name(name));
  PlatformView v{id.empty() ? new_uuid_v7(clock_, rng_) : id, name, format_rfc3339(clock_.now())};
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto dup, tx.query_one("SELECT id FROM trading_platforms WHERE name = ?", {name}));
    if (dup) return conflict("platform_exists", "a trading platform with this name exists");
    CS_TRY(tx.exec("INSERT INTO trading_platforms (id, name, created_at) VALUES (?, ?, ?)", {v.id, v.name, v.created_at}));
    return {};
  }));
  return v;
}

Result<SealMakerView> OrderService::add_seal_maker(const std::string& name, const std::string& id) {
  CS_TRY(check_name(name));
  SealMakerView v{id.empty() ? new_uuid_v7(clock_, rng_) : id, name, format_rfc3339(clock_.now())};
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto dup, tx.query_one("SELECT id FROM seal_makers WHERE name = ?", {name}));
    if (dup) return conflict("seal_maker_exists", "a seal maker with this name exists");
    CS_TRY(tx.exec("INSERT INTO seal_makers (id, name, created_at) VALUES (?, ?, ?)", {v.id, v.name, v.created_at}));
    return {};
  }));
  return v;
}

Result<ProductView> OrderService::add_product(const ProductInput& in, const std::string& id) {
  CS_TRY(check_name(in.name));
  if (in.kind != "certificate" && in.kind != "mutual_recognition" && in.kind != "renewal") {
    return field_error("kind", "certificate, mutual_recognition or renewal");
  }
  if (in.cert_type != "personal" && in.cert_type != "organisation") {
    return field_error("cert_type", "personal or organisation");
  }
  if (in.algorithm != "sm2" && in.algorithm != "ec-p256" && in.algorithm != "rsa-2048" && in.algorithm != "rsa-3072") {
    return field_error("algorithm", "sm2, ec-p256, rsa-2048 or rsa-3072");
  }
  if (in.validity_years < 1 || in.validity_years > 10) return field_error("validity_years", "1 to 10 years");
  if (in.price_fen < 0 || in.price_fen > 100000000) return field_error("price_fen", "0 to 100000000 fen");
  if (in.seal_type.empty() || in.seal_type.size() > 64) return field_error("seal_type", "a seal type");
  if (in.kind == "mutual_recognition" && (in.platform_id.empty() || in.period_months < 1)) {
    return field_error("platform_id", "a mutual-recognition package names a platform and a period in months");
  }
  if (ca_ == nullptr) return unavailable("ca_unavailable", "the certificate authorities are not available");
  if (!ca_->chain_pem(in.ca_id)) return field_error("ca_id", "the id of a CA of this platform");
  ProductView v;
  static_cast<ProductInput&>(v) = in;
  v.id = id.empty() ? new_uuid_v7(clock_, rng_) : id;
  v.created_at = format_rfc3339(clock_.now());
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    if (!in.platform_id.empty()) {
      CS_ASSIGN(auto p, tx.query_one("SELECT id FROM trading_platforms WHERE id = ?", {in.platform_id}));
      if (!p) return field_error("platform_id", "the id of a trading platform");
    }
    CS_TRY(tx.exec("INSERT INTO products (id, kind, name, cert_type, algorithm, validity_years, price_fen, ca_id, "
                   "seal_type, platform_id, period_months, active, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                   {v.id, v.kind, v.name, v.cert_type, v.algorithm, v.validity_years, v.price_fen, v.ca_id,
                    v.seal_type, in.platform_id.empty() ? store::Value() : store::Value(in.platform_id),
                    v.period_months, v.created_at}));
    return {};
  }));
  return v;
}

Result<ProductView> OrderService::set_product_active(const std::string& id, bool active) {
  return db_.write_value<ProductView>([&](store::Tx& tx) -> Result<ProductView> {
    CS_ASSIGN(auto n, tx.exec("UPDATE products SET active = ? WHERE id = ?", {active, id}));
    if (n == 0) return not_found("product_not_found", "no such product");
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM products WHERE id = ?", {id}));
    return product_from_row(*r);
  });
}

Result<ProductView> OrderService::update_product(const std::string& id, std::optional<bool> active,
                                                 std::optional<std::int64_t> price_fen) {
  if (!active && !price_fen) return invalid_argument("nothing_to_change", "give active, price_fen or both");
  if (price_fen && (*price_fen < 0 || *price_fen > 100000000)) return field_error("price_fen", "0 to 100000000 fen");
  return db_.write_value<ProductView>([&](store::Tx& tx) -> Result<ProductView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT id FROM products WHERE id = ?", {id}));
    if (!r) return not_found("product_not_found", "no such product");
    if (active) CS_TRY(tx.exec("UPDATE products SET active = ? WHERE id = ?", {*active, id}));
    if (price_fen) CS_TRY(tx.exec("UPDATE products SET price_fen = ? WHERE id = ?", {*price_fen, id}));
    CS_ASSIGN(auto row, tx.query_one("SELECT * FROM products WHERE id = ?", {id}));
    return product_from_row(*row);
  });
}

Result<std::vector<PlatformView>> OrderService::platforms() {
  return db_.read_value<std::vector<PlatformView>>([&](store::Tx& tx) -> Result<std::vector<PlatformView>> {
    CS_ASSIGN(auto rows, tx.query("SELECT * FROM trading_platforms ORDER BY name"));
    std::vector<PlatformView> out;
    for (auto& r : rows) out.push_back({r.text("id"), r.text("name"), r.text("created_at")});
    return out;
  });
}

Result<std::vector<SealMakerView>> OrderService::seal_makers() {
  return db_.read_value<std::vector<SealMakerView>>([&](store::Tx& tx) -> Result<std::vector<SealMakerView>> {
    CS_ASSIGN(auto rows, tx.query("SELECT * FROM seal_makers ORDER BY name"));
    std::vector<SealMakerView> out;
    for (auto& r : rows) out.push_back({r.text("id"), r.text("name"), r.text("created_at")});
    return out;
  });
}

Result<std::vector<ProductView>> OrderService::products(bool include_inactive) {
  return db_.read_value<std::vector<ProductView>>([&](store::Tx& tx) -> Result<std::vector<ProductView>> {
    CS_ASSIGN(auto rows, tx.query(include_inactive ? "SELECT * FROM products ORDER BY kind, name, id"
                                                   : "SELECT * FROM products WHERE active = 1 ORDER BY kind, name, id"));
    std::vector<ProductView> out;
    for (auto& r : rows) out.push_back(product_from_row(r));
    return out;
  });
}

}  // namespace certseal::service
