#include "service/scene/application_links.h"

#include <algorithm>
#include <sstream>

#include "base/clock.h"
#include "base/encoding.h"
#include "docsign/qr_image.h"

namespace certseal::service {
namespace {

constexpr std::size_t kMaxProducts = 20;

Error field(std::string_view name, std::string code, std::string msg) {
  return Error(ErrorKind::kInvalidArgument, "invalid_field", msg).with_field(std::string(name), std::move(code), msg);
}

Error link_not_found() { return not_found("application_link_not_found", "no such application link"); }

std::vector<std::string> split_ids(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string id; in >> id;) out.push_back(id);
  return out;
}

std::string join_ids(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& id : v) {
    if (!out.empty()) out += ' ';
    out += id;
  }
  return out;
}

// A label is shown to whoever scans: 1 to 64 characters (UTF-8), no control characters.
bool valid_label(const std::string& s) {
  if (s.empty() || s.size() > 64 * 4) return false;
  std::size_t chars = 0;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
    if ((c & 0xC0) != 0x80) ++chars;
  }
  return chars <= 64;
}

}  // namespace

nlohmann::json ApplicationLinkView::to_json() const {
  nlohmann::json j = {{"id", id},
                      {"app_id", app_id},
                      {"platform_id", platform_id},
                      {"label", label},
                      {"status", status},
                      {"url", url},
                      {"product_ids", product_ids},
                      {"orders", orders},
                      {"orders_done", orders_done},
                      {"created_at", created_at}};
  if (!disabled_at.empty()) j["disabled_at"] = disabled_at;
  return j;
}

nlohmann::json ApplicationLinkPublic::to_json() const {
  nlohmann::json ps = nlohmann::json::array();
  for (const auto& p : products) {
    ps.push_back({{"id", p.id},
                  {"name", p.name},
                  {"cert_type", p.cert_type},
                  {"algorithm", p.algorithm},
                  {"validity_years", p.validity_years},
                  {"price_fen", p.price_fen},
                  {"seal_type", p.seal_type}});
  }
  return {{"token", token},       {"label", label},       {"platform_id", platform_id},
          {"platform_name", platform_name}, {"app_name", app_name}, {"products", ps}};
}

ApplicationLinkService::ApplicationLinkService(store::Database& db, const Clock& clock, Rng& rng, Logger& log,
                                               OrderService& orders, std::string public_url)
    : db_(db), clock_(clock), rng_(rng), log_(log), orders_(orders), public_url_(std::move(public_url)) {}

std::string ApplicationLinkService::url_of(const std::string& token) const { return public_url_ + "/a/" + token; }

Result<ApplicationLinkView> ApplicationLinkService::load(store::Tx& tx, const std::string& id) {
  CS_ASSIGN(auto row, tx.query_one("SELECT id, token, app_id, platform_id, label, product_ids, status, created_at, "
                                   "disabled_at FROM application_links WHERE id = ?",
                                   {id}));
  if (!row) return link_not_found();
  ApplicationLinkView v;
  v.id = row->text("id");
  v.app_id = row->text("app_id");
  v.platform_id = row->text("platform_id");
  v.label = row->text("label");
  v.product_ids = split_ids(row->text("product_ids"));
  v.status = row->text("status");
  v.url = url_of(row->text("token"));
  v.created_at = row->text("created_at");
  if (!row->is_null("disabled_at")) v.disabled_at = row->text("disabled_at");
  CS_ASSIGN(auto n, tx.query_one("SELECT COUNT(*) AS n, "
                                 "COALESCE(SUM(CASE WHEN o.status = 'done' THEN 1 ELSE 0 END), 0) AS done "
                                 "FROM application_link_orders l JOIN orders o ON o.id = l.order_id "
                                 "WHERE l.link_id = ?",
                                 {id}));
  v.orders = n->integer("n");
  v.orders_done = n->integer("done");
  return v;
}

Result<ApplicationLinkCreated> ApplicationLinkService::create(const RpAppView& app, const ApplicationLinkInput& in) {
  if (!valid_label(in.label)) return field("label", "invalid", "a label of 1 to 64 characters");
  if (in.product_ids.size() > kMaxProducts) return field("product_ids", "too_many", "at most 20 products");
  std::vector<std::string> products = in.product_ids;
  std::sort(products.begin(), products.end());
  products.erase(std::unique(products.begin(), products.end()), products.end());
  std::string id, token;
  {
    std::lock_guard lock(rng_mu_);
    id = "al_" + hex_encode(rng_.bytes(10));
    token = base64url_encode(rng_.bytes(16));
  }
  const std::string now = format_rfc3339_ms(clock_.now());
  CS_ASSIGN(auto view, db_.write_value<ApplicationLinkView>([&](store::Tx& tx) -> Result<ApplicationLinkView> {
    for (const auto& pid : products) {
      CS_ASSIGN(auto p, tx.query_one("SELECT id FROM products WHERE id = ? AND active = 1 AND kind = 'certificate'",
                                     {pid}));
      if (!p) return field("product_ids", "unknown_product", "each product must be a certificate product on sale");
    }
    CS_TRY(tx.exec("INSERT INTO application_links (id, token, app_id, platform_id, label, product_ids, status, "
                   "created_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?)",
                   {id, token, app.id, app.platform_id, in.label, join_ids(products), now}));
    return load(tx, id);
  }));
  CS_ASSIGN(auto png, docsign::qr_png(view.url));
  log_.info("application link created", {{"app_id", app.id}, {"link_id", id}});
  return ApplicationLinkCreated{std::move(view), std::move(png)};
}

Result<std::vector<ApplicationLinkView>> ApplicationLinkService::list(const RpAppView& app) {
  return db_.read_value<std::vector<ApplicationLinkView>>([&](store::Tx& tx) -> Result<std::vector<ApplicationLinkView>> {
    CS_ASSIGN(auto rows, tx.query("SELECT id FROM application_links WHERE app_id = ? ORDER BY id DESC LIMIT 200",
                                  {app.id}));
    std::vector<ApplicationLinkView> out;
    for (const auto& r : rows) {
      CS_ASSIGN(auto v, load(tx, r.text("id")));
      out.push_back(std::move(v));
    }
    return out;
  });
}

Result<ApplicationLinkView> ApplicationLinkService::get(const RpAppView& app, const std::string& id) {
  return db_.read_value<ApplicationLinkView>([&](store::Tx& tx) -> Result<ApplicationLinkView> {
    CS_ASSIGN(auto v, load(tx, id));
    if (v.app_id != app.id) return link_not_found();  // another app's link does not exist for this one
    return v;
  });
}

Result<ApplicationLinkView> ApplicationLinkService::disable(const RpAppView& app, const std::string& id) {
  return db_.write_value<ApplicationLinkView>([&](store::Tx& tx) -> Result<ApplicationLinkView> {
    CS_ASSIGN(auto v, load(tx, id));
    if (v.app_id != app.id) return link_not_found();
    if (v.status == "disabled") return v;
    CS_TRY(tx.exec("UPDATE application_links SET status = 'disabled', disabled_at = ? WHERE id = ?",
                   {format_rfc3339_ms(clock_.now()), id}));
    log_.info("application link disabled", {{"app_id", app.id}, {"link_id", id}});
    return load(tx, id);
  });
}

Result<ApplicationLinkPublic> ApplicationLinkService::resolve(const std::string& token) {
  if (token.empty() || token.size() > 64) return link_not_found();
  ApplicationLinkPublic out;
  std::vector<std::string> allowed;
  CS_TRY(db_.read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto row, tx.query_one("SELECT l.label, l.platform_id, l.product_ids, p.name AS platform_name, "
                                     "a.name AS app_name FROM application_links l "
                                     "JOIN rp_apps a ON a.id = l.app_id "
                                     "JOIN trading_platforms p ON p.id = l.platform_id "
                                     "WHERE l.token = ? AND l.status = 'active' AND a.status = 'active'",
                                     {token}));
    if (!row) return link_not_found();
    out.token = token;
    out.label = row->text("label");
    out.platform_id = row->text("platform_id");
    out.platform_name = row->text("platform_name");
    out.app_name = row->text("app_name");
    allowed = split_ids(row->text("product_ids"));
    return {};
  }));
  CS_ASSIGN(auto on_sale, orders_.products(false));
  for (auto& p : on_sale) {
    if (p.kind != "certificate") continue;
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), p.id) == allowed.end()) continue;
    out.products.push_back(std::move(p));
  }
  return out;
}

Result<std::string> ApplicationLinkService::admit(store::Tx& tx, const std::string& token, const ProductView& product,
                                                  const std::string& platform_id) {
  if (token.size() > 64) return link_not_found();
  CS_ASSIGN(auto row, tx.query_one("SELECT l.platform_id, l.product_ids FROM application_links l "
                                   "JOIN rp_apps a ON a.id = l.app_id "
                                   "WHERE l.token = ? AND l.status = 'active' AND a.status = 'active'",
                                   {token}));
  if (!row) return link_not_found();
  const std::string link_platform = row->text("platform_id");
  if (!platform_id.empty() && platform_id != link_platform) {
    return field("platform_id", "not_the_links_platform", "this application link is for another trading platform");
  }
  const auto ids = split_ids(row->text("product_ids"));
  if (!ids.empty() && std::find(ids.begin(), ids.end(), product.id) == ids.end()) {
    return field("product_id", "not_offered_by_the_link", "this application link does not offer that product");
  }
  return link_platform;
}

Status ApplicationLinkService::record(store::Tx& tx, const std::string& token, const std::string& order_id) {
  CS_ASSIGN(auto row, tx.query_one("SELECT id FROM application_links WHERE token = ?", {token}));
  if (!row) return link_not_found();
  CS_TRY(tx.exec("INSERT INTO application_link_orders (order_id, link_id, created_at) VALUES (?, ?, ?)",
                 {order_id, row->text("id"), format_rfc3339_ms(clock_.now())}));
  return {};
}

}  // namespace certseal::service
