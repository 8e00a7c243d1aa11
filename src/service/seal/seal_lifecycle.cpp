// The holder's seals: make, replace, delete, list, read, use, records; and how a seal follows
// its certificate (seal_service.h).
#include <nlohmann/json.hpp>

#include "base/id.h"
#include "service/seal/seal_internal.h"

namespace certseal::service {

using seal_internal::CertFacts;
using seal_internal::certificate_not_found;
using seal_internal::seal_not_found;

namespace {

nlohmann::json design_json(const std::string& kind, const SealDesign& d) {
  if (d.method == "photo") return {{"method", "photo"}, {"blob_id", d.photo_blob_id}, {"size_mm", d.photo_size_mm}};
  if (d.method == "drawing") {
    std::size_t points = 0;
    for (const auto& s : d.signature.strokes) points += s.points.size();
    return {{"method", "drawing"}, {"strokes", d.signature.strokes.size()}, {"points", points}};
  }
  const seal::SealTemplate& t = d.tmpl;
  return {{"method", "template"},
          {"kind", kind},
          {"name", t.name},
          {"horizontal_text", t.horizontal_text},
          {"code", t.code},
          {"tax_number", t.tax_number},
          {"size_mm", t.size_mm},
          {"shape", t.shape == seal::SealShape::kSquare ? "square" : t.shape == seal::SealShape::kRound ? "round" : ""},
          {"carving", t.carving == seal::Carving::kYin ? "yin" : "yang"},
          {"suffix", t.suffix == seal::NameSuffix::kYin ? "yin" : t.suffix == seal::NameSuffix::kZhiYin ? "zhiyin" : ""}};
}

// Whether the kind fits the certificate, and the template's name the certificate's subject.
Status check_fit(const std::string& kind, const SealDesign& design, const CertFacts& cert) {
  const bool personal = cert.profile == "personal_sign";
  const bool organisation = cert.profile == "org_sign";
  if (!(personal && seal_internal::personal_kind(kind)) && !(organisation && seal_internal::organisation_kind(kind))) {
    return invalid_argument("seal_kind_not_allowed", "该证书不能配此类印章（个人证书：手写签名或个人方章；单位证书：单位五章）");
  }
  if (design.method != "template" || kind == "legal_representative") return ok_status();
  const std::string& want = kind == "personal_square" ? cert.common_name : cert.organization;
  if (design.tmpl.name != want) {
    return invalid_argument("seal_name_mismatch", "印章上的名称须与证书上的" +
                                                      std::string(kind == "personal_square" ? "姓名" : "单位名称") + "一致");
  }
  return ok_status();
}

std::string display_name(const std::string& kind, const SealDesign& design, const CertFacts& cert) {
  if (design.method != "template") {
    if (kind == "handwritten") return cert.common_name.empty() ? "手写签名" : cert.common_name;
    if (seal_internal::personal_kind(kind) || kind == "legal_representative") return cert.common_name;
    return cert.organization;
  }
  std::string name = design.tmpl.name;
  if (kind == "official") return name + "公章";
  if (kind == "contract") return name + "合同专用章";
  if (kind == "finance") return name + "财务专用章";
  if (kind == "invoice") return name + "发票专用章";
  return name;
}

Status certificate_usable(const CertFacts& cert) {
  if (cert.status == "revoked") return failed_precondition("certificate_revoked", "证书已注销，不能用于印章");
  if (!cert.current) return failed_precondition("certificate_not_current", "证书已被更新的证书取代");
  return ok_status();
}

}  // namespace

Status SealService::record(store::Tx& tx, const std::string& seal_id, const std::string& action,
                           const std::string& actor, const std::string& detail, const std::string& result) {
  CS_TRY(tx.exec("INSERT INTO seal_events (id, seal_id, action, actor, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                 {new_uuid_v7(clock_, rng_), seal_id, action, actor,
                  result == "ok" ? detail : result + ": " + detail, now_text()}));
  if (ledger_ == nullptr) return ok_status();
  // The same event in the transparency log (docs/LEDGER.md "Seals"), in this transaction.
  auto type = seal_internal::ledger_type(action);
  if (!type) return internal_error("seal event " + action + " has no log type");
  CS_ASSIGN(auto r, tx.query_one("SELECT account_id, certificate_id, kind FROM seals WHERE id = ?", {seal_id}));
  if (!r) return internal_error("seal event for a missing seal");
  auto e = ledger::LedgerEvent(type->first)
               .by(actor == "platform" ? "" : actor)
               .of(r->text("account_id"))
               .on(seal_id)
               .cert(r->text("certificate_id"))
               .outcome(result)
               .with("kind", r->text("kind"));
  if (!detail.empty()) e.with(type->second, detail);
  return ledger::record(ledger_, tx, e);
}

Result<SealService::Row> SealService::load(store::Tx& tx, const std::string& seal_id) {
  CS_ASSIGN(auto r, tx.query_one(std::string("SELECT ") + seal_internal::kSealColumns + " FROM seals WHERE id = ?",
                                 {seal_id}));
  if (!r || r->text("status") == "deleted") return seal_not_found();
  return seal_internal::row_from(*r);
}

Result<SealService::Row> SealService::load_owned(store::Tx& tx, const std::string& account_id,
                                                 const std::string& seal_id) {
  CS_ASSIGN(Row row, load(tx, seal_id));
  if (row.view.account_id != account_id) return seal_not_found();
  return row;
}

Status SealService::follow(store::Tx& tx, Row& row) {
  if (row.view.status == "deleted") return ok_status();
  if (row.view.certificate_id.empty()) {
    // Made while buying: bind to the order's first installed certificate without a seal.
    if (row.view.order_id.empty()) return ok_status();
    CS_ASSIGN(auto c, tx.query_one("SELECT ac.certificate_id FROM account_certificates ac WHERE ac.order_id = ? AND "
                                   "ac.account_id = ? AND ac.current = 1 AND NOT EXISTS (SELECT 1 FROM seals s WHERE "
                                   "s.certificate_id = ac.certificate_id AND s.status <> 'deleted') "
                                   "ORDER BY ac.created_at, ac.certificate_id",
                                   {row.view.order_id, row.view.account_id}));
    if (!c) return ok_status();
    row.view.certificate_id = c->text("certificate_id");
    CS_TRY(tx.exec("UPDATE seals SET certificate_id = ?, updated_at = ? WHERE id = ?",
                   {row.view.certificate_id, now_text(), row.view.id}));
    CS_TRY(record(tx, row.view.id, "bound", "platform", row.view.certificate_id));
    // Checked against the certificate now that it exists.
    CS_ASSIGN(auto cert, seal_internal::held_certificate(tx, row.view.account_id, row.view.certificate_id));
    auto j = nlohmann::json::parse(row.design, nullptr, false);
    SealDesign d;
    d.method = j.is_object() ? j.value("method", "") : "";
    d.tmpl.name = j.is_object() ? j.value("name", "") : "";
    if (cert) {
      if (Status fit = check_fit(row.view.kind, d, *cert); !fit.ok() && row.view.status == "pending_review") {
        row.view.status = "rejected";
        row.view.reason = fit.error().message;
        CS_TRY(tx.exec("UPDATE seals SET status = 'rejected', reason = ?, updated_at = ? WHERE id = ?",
                       {row.view.reason, now_text(), row.view.id}));
        CS_TRY(record(tx, row.view.id, "rejected", "platform", fit.error().code));
      }
    }
  }
  std::string cur = row.view.certificate_id;
  for (int hops = 0; hops < 64; ++hops) {
    CS_ASSIGN(auto next, tx.query_one("SELECT c.id FROM pki_certificate c JOIN account_certificates ac ON "
                                      "ac.certificate_id = c.id WHERE c.predecessor_id = ? AND ac.account_id = ? "
                                      "ORDER BY c.created_at DESC",
                                      {cur, row.view.account_id}));
    if (!next) break;
    cur = next->text("id");
  }
  if (cur != row.view.certificate_id) {
    const std::string old = row.view.certificate_id;
    row.view.certificate_id = cur;
    CS_TRY(tx.exec("UPDATE seals SET certificate_id = ?, updated_at = ? WHERE id = ?", {cur, now_text(), row.view.id}));
    if (row.view.status == "active") {
      CS_ASSIGN(row.seseal, sign_seal(tx, row));
      CS_TRY(tx.exec("UPDATE seals SET seseal = ? WHERE id = ?", {row.seseal, row.view.id}));
    }
    CS_TRY(record(tx, row.view.id, "rebound", "platform", old + " -> " + cur));
  }
  CS_ASSIGN(auto st, tx.query_one("SELECT status FROM pki_certificate WHERE id = ?", {cur}));
  if (st && st->text("status") == "revoked" && row.view.status != "revoked") {
    row.view.status = "revoked";
    CS_TRY(tx.exec("UPDATE seals SET status = 'revoked', updated_at = ? WHERE id = ?", {now_text(), row.view.id}));
    CS_TRY(record(tx, row.view.id, "revoked", "platform", "certificate " + cur + " revoked"));
  }
  return ok_status();
}

Result<SealView> SealService::make(const std::string& account_id, const MakeSealInput& in) {
  if (!seal_internal::personal_kind(in.kind) && !seal_internal::organisation_kind(in.kind)) {
    return invalid_argument("bad_seal_kind", "印章类型无效");
  }
  MakeSealInput input = in;
  CS_TRY(load_photo(account_id, input.design));
  CS_ASSIGN(seal::SealPicture pic, render_design(in.kind, input.design, opts_.stored_dpi));
  if (in.certificate_id.empty() == in.order_id.empty()) {
    return invalid_argument("bad_seal_target", "须指定证书（certificate_id）或购买中的订单（order_id）之一");
  }
  const std::string id = new_uuid_v7(clock_, rng_);
  auto made = db_.write_value<SealView>([&](store::Tx& tx) -> Result<SealView> {
    std::optional<CertFacts> cert;
    std::string order_maker;
    if (!in.certificate_id.empty()) {
      CS_ASSIGN(cert, seal_internal::held_certificate(tx, account_id, in.certificate_id));
      if (!cert) return certificate_not_found();
      CS_TRY(certificate_usable(*cert));
      CS_ASSIGN(auto o, tx.query_one("SELECT seal_maker_id FROM orders WHERE id = ?", {cert->order_id}));
      if (o && !o->is_null("seal_maker_id")) order_maker = o->text("seal_maker_id");
    } else {
      // While buying: the caller's certificate order; the subject comes from the organisation or
      // the person's verified name until the certificate exists.
      CS_ASSIGN(auto o, tx.query_one("SELECT account_id, kind, cert_type, status, seal_maker_id, org_id FROM orders "
                                     "WHERE id = ?",
                                     {in.order_id}));
      if (!o || o->text("account_id") != account_id) return not_found("order_not_found", "订单不存在");
      if (o->text("kind") != "certificate") {
        return failed_precondition("not_a_certificate_order", "只有购买证书的订单可以配印章");
      }
      const std::string st = o->text("status");
      if (st == "cancelled" || st == "expired" || st == "refunded" || st == "rejected") {
        return failed_precondition("order_closed", "订单已关闭");
      }
      if (!o->is_null("seal_maker_id")) order_maker = o->text("seal_maker_id");
      CertFacts f;
      f.current = true;
      f.status = "valid";
      f.profile = o->text("cert_type") == "organisation" ? "org_sign" : "personal_sign";
      if (!o->is_null("org_id")) {
        CS_ASSIGN(auto org, tx.query_one("SELECT name FROM organisations WHERE id = ?", {o->text("org_id")}));
        if (org) f.organization = org->text("name");
      }
      CS_ASSIGN(auto pv, tx.query_one("SELECT name FROM person_verifications WHERE account_id = ? AND status = "
                                      "'verified' ORDER BY created_at DESC",
                                      {account_id}));
      if (pv) f.common_name = pv->text("name");
      cert = std::move(f);
      CS_ASSIGN(auto dup, tx.query_one("SELECT id FROM seals WHERE order_id = ? AND certificate_id IS NULL AND "
                                       "status <> 'deleted'",
                                       {in.order_id}));
      if (dup) return conflict("seal_exists", "该订单已配了印章");
    }
    CS_TRY(check_fit(in.kind, in.design, *cert));
    std::string maker = in.maker_id.empty() ? order_maker : in.maker_id;
    if (maker.empty()) {
      CS_ASSIGN(auto first, tx.query_one("SELECT maker_id FROM seal_maker_credentials ORDER BY maker_id"));
      if (!first) return failed_precondition("seal_maker_not_certified", "没有可用的印章机构");
      maker = first->text("maker_id");
    }
    CS_ASSIGN(auto m, tx.query_one("SELECT id FROM seal_makers WHERE id = ?", {maker}));
    if (!m) return not_found("seal_maker_not_found", "印章机构不存在");
    CS_ASSIGN(auto cred, tx.query_one("SELECT maker_id FROM seal_maker_credentials WHERE maker_id = ?", {maker}));
    if (!cred) return failed_precondition("seal_maker_not_certified", "该印章机构还没有制章证书");
    if (!in.certificate_id.empty()) {
      CS_ASSIGN(auto dup, tx.query_one("SELECT id FROM seals WHERE certificate_id = ? AND status <> 'deleted'",
                                       {in.certificate_id}));
      if (dup) return conflict("seal_exists", "一张证书只能配一枚印章；请先删除现有印章或另购证书");
    }
    const std::string now = now_text();
    SealView v;
    v.id = id;
    v.account_id = account_id;
    v.certificate_id = in.certificate_id;
    v.order_id = in.order_id.empty() ? cert->order_id : in.order_id;
    v.maker_id = maker;
    v.kind = in.kind;
    v.method = in.design.method;
    v.name = display_name(in.kind, in.design, *cert);
    v.status = "pending_review";
    v.width_mm = pic.width_mm;
    v.height_mm = pic.height_mm;
    v.created_at = v.updated_at = now;
    CS_TRY(tx.exec("INSERT INTO seals (id, account_id, certificate_id, order_id, maker_id, kind, method, name, design, "
                   "status, picture_png, picture_svg, width_mm, height_mm, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {v.id, v.account_id, v.certificate_id.empty() ? store::Value() : store::Value(v.certificate_id),
                    v.order_id.empty() ? store::Value() : store::Value(v.order_id), v.maker_id, v.kind, v.method, v.name,
                    design_json(in.kind, in.design).dump(), v.status, pic.png, pic.svg, v.width_mm, v.height_mm, now,
                    now}));
    CS_TRY(record(tx, id, "made", account_id, v.method));
    return v;
  });
  if (!made.ok() && made.error().kind == ErrorKind::kInternal) {
    // Two makes at once: the unique index lets one through; the other reads it here.
    auto dup = db_.read_value<bool>([&](store::Tx& tx) -> Result<bool> {
      CS_ASSIGN(auto d, in.certificate_id.empty()
                            ? tx.query_one("SELECT id FROM seals WHERE order_id = ? AND certificate_id IS NULL AND "
                                           "status <> 'deleted'",
                                           {in.order_id})
                            : tx.query_one("SELECT id FROM seals WHERE certificate_id = ? AND status <> 'deleted'",
                                           {in.certificate_id}));
      return d.has_value();
    });
    if (dup.ok() && *dup) return conflict("seal_exists", "一张证书只能配一枚印章；请先删除现有印章或另购证书");
  }
  return made;
}

Result<SealView> SealService::replace(const std::string& account_id, const std::string& seal_id,
                                      const SealDesign& given) {
  SealDesign design = given;
  CS_TRY(load_photo(account_id, design));
  std::string kind;
  CS_TRY(db_.read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(Row row, load_owned(tx, account_id, seal_id));
    kind = row.view.kind;
    return ok_status();
  }));
  CS_ASSIGN(seal::SealPicture pic, render_design(kind, design, opts_.stored_dpi));
  return db_.write_value<SealView>([&](store::Tx& tx) -> Result<SealView> {
    CS_ASSIGN(Row row, load_owned(tx, account_id, seal_id));
    CS_TRY(follow(tx, row));
    if (row.view.status == "revoked") return failed_precondition("certificate_revoked", "证书已注销，印章不能再修改");
    CertFacts unbound;
    std::optional<CertFacts> cert;
    if (!row.view.certificate_id.empty()) {
      CS_ASSIGN(cert, seal_internal::held_certificate(tx, account_id, row.view.certificate_id));
      if (!cert) return certificate_not_found();
      CS_TRY(certificate_usable(*cert));
      CS_TRY(check_fit(row.view.kind, design, *cert));
    } else {
      cert = unbound;  // checked when it is bound
    }
    row.view.method = design.method;
    row.view.name = display_name(row.view.kind, design, *cert);
    row.view.status = "pending_review";
    row.view.reason.clear();
    row.view.width_mm = pic.width_mm;
    row.view.height_mm = pic.height_mm;
    row.view.updated_at = now_text();
    row.view.has_seal_data = false;
    CS_TRY(tx.exec("UPDATE seals SET method = ?, name = ?, design = ?, status = 'pending_review', picture_png = ?, "
                   "picture_svg = ?, width_mm = ?, height_mm = ?, seseal = NULL, reason = NULL, reviewed_by = NULL, "
                   "reviewed_at = NULL, updated_at = ? WHERE id = ?",
                   {row.view.method, row.view.name, design_json(row.view.kind, design).dump(), pic.png, pic.svg,
                    pic.width_mm, pic.height_mm, row.view.updated_at, seal_id}));
    row.view.reviewed_by.clear();
    row.view.reviewed_at.clear();
    CS_TRY(record(tx, seal_id, "replaced", account_id, design.method));
    return row.view;
  });
}

Status SealService::remove(const std::string& account_id, const std::string& seal_id) {
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(Row row, load_owned(tx, account_id, seal_id));
    CS_TRY(tx.exec("UPDATE seals SET status = 'deleted', updated_at = ? WHERE id = ?", {now_text(), seal_id}));
    CS_TRY(record(tx, seal_id, "deleted", account_id, ""));
    return ok_status();
  });
}

Result<std::vector<SealView>> SealService::list(const std::string& account_id) {
  return db_.write_value<std::vector<SealView>>([&](store::Tx& tx) -> Result<std::vector<SealView>> {
    CS_ASSIGN(auto rows, tx.query(std::string("SELECT ") + seal_internal::kSealColumns +
                                      " FROM seals WHERE account_id = ? AND status <> 'deleted' ORDER BY id",
                                  {account_id}));
    std::vector<SealView> out;
    for (const auto& r : rows) {
      Row row = seal_internal::row_from(r);
      CS_TRY(follow(tx, row));
      out.push_back(row.view);
    }
    return out;
  });
}

Result<SealView> SealService::get(const std::string& account_id, const std::string& seal_id) {
  return db_.write_value<SealView>([&](store::Tx& tx) -> Result<SealView> {
    CS_ASSIGN(Row row, load_owned(tx, account_id, seal_id));
    CS_TRY(follow(tx, row));
    return row.view;
  });
}

Result<Bytes> SealService::picture(const std::string& account_id, const std::string& seal_id, bool svg) {
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(Row row, load_owned(tx, account_id, seal_id));
    return svg ? to_bytes(row.svg) : row.png;
  });
}

Result<Bytes> SealService::seal_data(const std::string& account_id, const std::string& seal_id) {
  return db_.write_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(Row row, load_owned(tx, account_id, seal_id));
    CS_TRY(follow(tx, row));
    if (row.view.status != "active" || row.seseal.empty()) {
      return failed_precondition("seal_not_active", "印章尚未审核通过或已失效");
    }
    return row.seseal;
  });
}

Result<SealUse> SealService::use(const std::string& account_id, const std::string& seal_id, const std::string& purpose) {
  if (purpose.empty() || purpose.size() > 200) return invalid_argument("bad_purpose", "用途须为 1 到 200 个字符");
  // A refusal is recorded too, so the holder sees attempts on a seal that is not usable.
  std::optional<Error> refused;
  auto used = db_.write_value<SealUse>([&](store::Tx& tx) -> Result<SealUse> {
    // The holder uses their seal; anyone else only an organisation seal under a grant
    // (docs/GRANTS.md): the seal is checked as the holder's, then the grant is counted.
    std::string holder = account_id;
    auto owned = load_owned(tx, account_id, seal_id);
    if (!owned) {
      if (grants_ == nullptr || owned.error().code != "seal_not_found") return std::move(owned).error();
      CS_ASSIGN(auto h, grants_->seal_holder(tx, account_id, seal_id));
      if (!h) return std::move(owned).error();
      holder = *h;
    }
    CS_ASSIGN(Row row, load_owned(tx, holder, seal_id));
    CS_TRY(follow(tx, row));
    auto refuse = [&](Error e) -> Result<SealUse> {
      CS_TRY(record(tx, seal_id, "use_refused", account_id, purpose, e.code));
      refused = std::move(e);
      return SealUse{};
    };
    if (row.view.status == "revoked") {
      return refuse(failed_precondition("certificate_revoked", "证书已注销，印章不能使用"));
    }
    if (row.view.status != "active" || row.seseal.empty()) {
      return refuse(failed_precondition("seal_not_active", "印章尚未审核通过，不能使用"));
    }
    CS_ASSIGN(auto cert, seal_internal::held_certificate(tx, holder, row.view.certificate_id));
    if (!cert) return certificate_not_found();
    if (Status st = certificate_usable(*cert); !st.ok()) return refuse(st.error());
    if (holder != account_id) {
      if (Status counted = grants_->use_seal(tx, account_id, seal_id, purpose); !counted) {
        if (counted.error().kind == ErrorKind::kInternal) return std::move(counted).error();
        return refuse(std::move(counted).error());
      }
    }
    CS_TRY(record(tx, seal_id, "used", account_id, purpose));
    return SealUse{row.view, row.png, row.seseal};
  });
  if (refused) return *refused;
  return used;
}

Result<std::vector<SealEventView>> SealService::events(const std::string& account_id, const std::string& seal_id) {
  return db_.read_value<std::vector<SealEventView>>([&](store::Tx& tx) -> Result<std::vector<SealEventView>> {
    CS_ASSIGN(Row row, load_owned(tx, account_id, seal_id));
    CS_ASSIGN(auto rows, tx.query("SELECT id, action, actor, detail, at FROM seal_events WHERE seal_id = ? ORDER BY id",
                                  {seal_id}));
    std::vector<SealEventView> out;
    for (const auto& r : rows) {
      out.push_back({r.text("id"), r.text("action"), r.text("actor"), r.text("detail"), r.text("at")});
    }
    return out;
  });
}

Result<int> SealService::sweep() {
  return db_.write_value<int>([&](store::Tx& tx) -> Result<int> {
    CS_ASSIGN(auto rows, tx.query(std::string("SELECT ") + seal_internal::kSealColumns +
                                  " FROM seals WHERE status <> 'deleted' AND status <> 'revoked' ORDER BY id"));
    int changed = 0;
    for (const auto& r : rows) {
      Row row = seal_internal::row_from(r);
      const std::string cert = row.view.certificate_id, status = row.view.status;
      CS_TRY(follow(tx, row));
      if (row.view.certificate_id != cert || row.view.status != status) ++changed;
    }
    return changed;
  });
}

// ---- operator review ----

Result<std::vector<SealView>> SealService::review_queue() {
  return db_.read_value<std::vector<SealView>>([&](store::Tx& tx) -> Result<std::vector<SealView>> {
    CS_ASSIGN(auto rows, tx.query(std::string("SELECT ") + seal_internal::kSealColumns +
                                  " FROM seals WHERE status = 'pending_review' ORDER BY id"));
    std::vector<SealView> out;
    for (const auto& r : rows) out.push_back(seal_internal::row_from(r).view);
    return out;
  });
}

Result<SealView> SealService::review_get(const std::string& seal_id) {
  return db_.read_value<SealView>([&](store::Tx& tx) -> Result<SealView> {
    CS_ASSIGN(Row row, load(tx, seal_id));
    return row.view;
  });
}

Result<Bytes> SealService::review_picture(const std::string& seal_id) {
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(Row row, load(tx, seal_id));
    return row.png;
  });
}

Result<SealView> SealService::approve(const std::string& operator_id, const std::string& seal_id) {
  return db_.write_value<SealView>([&](store::Tx& tx) -> Result<SealView> {
    CS_ASSIGN(Row row, load(tx, seal_id));
    CS_TRY(follow(tx, row));
    if (row.view.status != "pending_review") return failed_precondition("bad_seal_status", "该印章不在待审核状态");
    if (row.view.certificate_id.empty()) {
      return failed_precondition("certificate_not_installed", "证书尚未安装，印章还不能审核通过");
    }
    CS_ASSIGN(auto cert, seal_internal::held_certificate(tx, row.view.account_id, row.view.certificate_id));
    if (!cert) return certificate_not_found();
    CS_TRY(certificate_usable(*cert));
    CS_ASSIGN(row.seseal, sign_seal(tx, row));
    const std::string now = now_text();
    CS_TRY(tx.exec("UPDATE seals SET status = 'active', seseal = ?, reason = NULL, reviewed_by = ?, reviewed_at = ?, "
                   "updated_at = ? WHERE id = ?",
                   {row.seseal, operator_id, now, now, seal_id}));
    CS_TRY(record(tx, seal_id, "approved", operator_id, ""));
    row.view.status = "active";
    row.view.reviewed_by = operator_id;
    row.view.reviewed_at = row.view.updated_at = now;
    row.view.has_seal_data = true;
    return row.view;
  });
}

Result<SealView> SealService::reject(const std::string& operator_id, const std::string& seal_id,
                                     const std::string& reason) {
  if (reason.empty() || reason.size() > 500) return invalid_argument("bad_reason", "请填写 1 到 500 个字符的驳回原因");
  return db_.write_value<SealView>([&](store::Tx& tx) -> Result<SealView> {
    CS_ASSIGN(Row row, load(tx, seal_id));
    if (row.view.status != "pending_review") return failed_precondition("bad_seal_status", "该印章不在待审核状态");
    const std::string now = now_text();
    CS_TRY(tx.exec("UPDATE seals SET status = 'rejected', reason = ?, reviewed_by = ?, reviewed_at = ?, updated_at = ? "
                   "WHERE id = ?",
                   {reason, operator_id, now, now, seal_id}));
    CS_TRY(record(tx, seal_id, "rejected", operator_id, reason));
    row.view.status = "rejected";
    row.view.reason = reason;
    row.view.reviewed_by = operator_id;
    row.view.reviewed_at = row.view.updated_at = now;
    return row.view;
  });
}

}  // namespace certseal::service
