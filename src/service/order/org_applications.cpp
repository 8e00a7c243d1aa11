// Employees apply, admins approve: an employee's order for an organisation certificate waits for
// an admin (or the legal representative) of the organisation before it can be authorised and
// paid; admins see their organisation's orders. Part of OrderService (order_service.h).
#include "service/order/order_service.h"
#include "service/org/org_service.h"

namespace certseal::service {

std::string OrderService::org_approval_state(const OrderView& o) {
  if (o.cert_type != "organisation" || o.applicant_role != "employee") return "not_needed";
  return o.org_approved_at.empty() ? "pending" : "approved";
}

Status OrderService::require_org_admin(store::Tx& tx, const std::string& account_id, const std::string& org_id) {
  CS_ASSIGN(auto role, orgs_.member_role(tx, account_id, org_id));
  if (role != "admin" && role != "legal_representative") {
    return Error(ErrorKind::kPermissionDenied, "forbidden", "only an admin of this organisation may do this");
  }
  return {};
}

Result<OrderView> OrderService::org_application(store::Tx& tx, const std::string& org_id,
                                                const std::string& order_id) {
  auto o = load(tx, order_id, true);
  // An order of another organisation does not exist for this organisation's admin.
  if (!o || o->org_id != org_id) return not_found("order_not_found", "no such order");
  return o;
}

Result<std::vector<OrderView>> OrderService::org_orders(const std::string& admin_account_id,
                                                        const std::string& org_id, const std::string& after,
                                                        int limit) {
  return db_.read_value<std::vector<OrderView>>([&](store::Tx& tx) -> Result<std::vector<OrderView>> {
    CS_TRY(require_org_admin(tx, admin_account_id, org_id));
    CS_ASSIGN(auto rows, tx.query("SELECT id FROM orders WHERE org_id = ? AND (? = '' OR id < ?) "
                                  "ORDER BY id DESC LIMIT ?",
                                  {org_id, after, after, static_cast<std::int64_t>(limit) + 1}));
    std::vector<OrderView> out;
    for (const auto& r : rows) {
      CS_ASSIGN(auto o, load(tx, r.text("id"), false));
      out.push_back(std::move(o));
    }
    return out;
  });
}

Result<OrderView> OrderService::approve_org_application(const std::string& admin_account_id,
                                                        const std::string& org_id, const std::string& order_id) {
  std::string buyer;
  CS_ASSIGN(auto o, db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_TRY(require_org_admin(tx, admin_account_id, org_id));
    CS_ASSIGN(auto o, org_application(tx, org_id, order_id));
    const std::string state = org_approval_state(o);
    if (state == "not_needed") {
      return failed_precondition("org_approval_not_needed", "this order does not wait for an admin");
    }
    if (state == "approved") return o;  // a retry
    if (o.status != "created") return failed_precondition("order_not_created", "this order is closed");
    const std::string now = format_rfc3339(clock_.now());
    // Conditional: only the first approval records it.
    CS_ASSIGN(auto n, tx.exec("UPDATE orders SET org_approved_by = ?, org_approved_at = ? WHERE id = ? AND "
                              "status = 'created' AND org_approved_at IS NULL",
                              {admin_account_id, now, order_id}));
    if (n == 1) {
      CS_TRY(notify(tx, o.account_id, "org_application_approved",
                    "您的单位证书申请已由单位管理员批准，请完成授权和支付。", order_id));
      buyer = o.account_id;
    }
    return load(tx, order_id, true);
  }));
  if (!buyer.empty()) {
    send_sms(buyer, "【CertSeal】您的单位证书申请已由单位管理员批准。", "org_application_approved");
    log_.info("organisation certificate application approved",
              {{"order_id", order_id}, {"org_id", org_id}, {"admin", admin_account_id}});
  }
  return o;
}

Result<OrderView> OrderService::refuse_org_application(const std::string& admin_account_id,
                                                       const std::string& org_id, const std::string& order_id,
                                                       const std::string& reason) {
  if (reason.empty() || reason.size() > 500) {
    return invalid_argument("invalid_field", "reason: 1 to 500 bytes").with_field("reason", "invalid", "1 to 500 bytes");
  }
  std::string buyer;
  CS_ASSIGN(auto o, db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_TRY(require_org_admin(tx, admin_account_id, org_id));
    CS_ASSIGN(auto o, org_application(tx, org_id, order_id));
    if (org_approval_state(o) != "pending") {
      return failed_precondition("org_approval_not_needed", "this order does not wait for an admin");
    }
    CS_ASSIGN(auto moved, transition(tx, order_id, "created", "cancelled", admin_account_id,
                                     "refused by the organisation's admin: " + reason));
    if (!moved) return failed_precondition("order_not_created", "this order is closed");
    CS_TRY(notify(tx, o.account_id, "org_application_refused", "您的单位证书申请未获单位管理员批准：" + reason,
                  order_id));
    buyer = o.account_id;
    return load(tx, order_id, true);
  }));
  send_sms(buyer, "【CertSeal】您的单位证书申请未获单位管理员批准：" + reason, "org_application_refused");
  return o;
}

}  // namespace certseal::service
