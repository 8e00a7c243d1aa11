#include "client/messages.h"

#include <cstdlib>
#include <map>

namespace certseal::client {
namespace {

struct Text {
  const char* zh;
  const char* en;
};

// The whole catalogue. Keys: prompt.* (questions), msg.* (results), err.* (one-line errors).
const std::map<std::string_view, Text>& catalogue() {
  static const std::map<std::string_view, Text> m = {
      {"prompt.phone", {"手机号: ", "Phone number: "}},
      {"prompt.sms_code", {"短信验证码: ", "SMS code: "}},
      {"prompt.login_password", {"登录密码(首次登录直接回车): ", "Login password (press Enter on first login): "}},
      {"prompt.account_password", {"账号登录密码: ", "Account login password: "}},
      {"prompt.cloudkey_reset_password", {"短信中的新授权密码: ", "The new password from the SMS: "}},
      {"prompt.new_login_password", {"设置登录密码(8-16位，含大写、小写、数字、符号中的三种): ",
                                     "Set a login password (8-16 characters, three of upper, lower, digit, symbol): "}},
      {"prompt.confirm", {"请再次输入以确认: ", "Repeat to confirm: "}},
      {"prompt.cert_password", {"请输入证书密码: ", "Certificate password: "}},
      {"prompt.current_cert_password", {"请输入当前证书密码: ", "Current certificate password: "}},
      {"prompt.new_cert_password", {"请设置证书密码(至少6位): ", "Set the certificate password (at least 6 characters): "}},
      {"prompt.id_number", {"身份证号: ", "ID card number: "}},
      {"prompt.pairing_code", {"请输入新设备上显示的配对码: ", "Pairing code shown on the new device: "}},
      {"prompt.recovery_login_password", {"请输入登录密码: ", "Login password: "}},
      {"msg.code_sent", {"验证码已发送至 {}", "An SMS code was sent to {}"}},
      {"msg.logged_in", {"登录成功: {}", "Logged in: {}"}},
      {"msg.registered", {"账号已注册并设置登录密码: {}", "Account registered and login password set: {}"}},
      {"msg.logged_out", {"已退出登录", "Logged out"}},
      {"msg.identity_switched", {"已切换身份: {}", "Switched identity: {}"}},
      {"msg.installed", {"证书已安装，密钥 {}，证书 {}", "Certificate installed: key {}, certificate {}"}},
      {"msg.cert_done", {"操作成功，新证书 {}", "Done; new certificate {}"}},
      {"msg.revoked", {"证书已注销: {}", "Certificate revoked: {}"}},
      {"msg.pin_changed", {"证书密码已修改", "Certificate password changed"}},
      {"msg.pin_recovered", {"证书密码已重置，密钥已解锁", "Certificate password reset; the key is unlocked"}},
      {"msg.cloudkey_using", {"已切换到证书: 工号 {}（{}）", "Now using the certificate of staff number {} ({})"}},
      {"msg.cloudkey_deleted", {"证书已从本设备删除（密钥 {}）", "Certificate deleted from this device (key {})"}},
      {"msg.cloudkey_deleted_last",
       {"证书已从本设备删除（密钥 {}）；这是最后一台设备，证书已注销，可凭工号重新下载",
        "Certificate deleted from this device (key {}); it was the last device: the certificate is revoked, "
        "download a new one by staff number"}},
      {"msg.cloudkey_refreshed", {"证书已更新: {}", "Certificate refreshed: {}"}},
      {"msg.cloudkey_up_to_date", {"证书已是最新: {}", "Certificate up to date: {}"}},
      {"msg.pairing_started", {"配对编号 {}，配对码 {}。请在已安装证书的设备上运行: certseal device add {} --code {}",
                               "Pairing {}, code {}. On the device holding the certificate run: certseal device add {} "
                               "--code {}"}},
      {"msg.pairing_waiting", {"等待旧设备授权...", "Waiting for the other device..."}},
      {"msg.device_added", {"配对码核对无误，已向新设备 {} ({}) 发送密钥分量",
                            "The pairing code matches; the key share was sent to the new device {} ({})"}},
      {"msg.device_paired", {"本设备已启用，密钥 {}", "This device is active for key {}"}},
      {"msg.device_removed", {"设备已移除: {}", "Device removed: {}"}},
      {"msg.pay_url", {"请在浏览器中打开支付页面: {}", "Open the payment page: {}"}},
      {"msg.paid", {"支付完成，订单状态: {}", "Paid; order status: {}"}},
      {"msg.agent_started", {"证书密码缓存已启动 (缓存时间 {})，套接字 {}", "PIN cache started (keeps {}), socket {}"}},
      {"msg.agent_stopped", {"证书密码缓存已停止并清除", "PIN cache stopped and wiped"}},
      {"msg.agent_ttl", {"缓存时间已设为 {}，下次输入证书密码时生效", "Cache time set to {}; it applies from the next password entry"}},
      {"msg.agent_not_running", {"证书密码缓存未运行", "The PIN cache is not running"}},
      {"msg.verified", {"实名认证已提交，状态: {}", "Real-name verification submitted; status: {}"}},
      // Empty lists (one line on standard output, exit 0).
      {"msg.empty_identities", {"没有身份", "No identities"}},
      {"msg.empty_orgs", {"您尚未加入任何单位", "You belong to no organisation"}},
      {"msg.empty_org_search", {"没有找到符合条件的单位", "No organisation matches"}},
      {"msg.empty_catalogue", {"商品目录为空: 平台尚未上架任何产品", "The catalogue is empty: the platform offers no products yet"}},
      {"msg.empty_orders", {"没有订单", "No orders"}},
      {"msg.empty_certs", {"您还没有证书", "You have no certificates"}},
      {"msg.empty_devices", {"没有设备", "No devices"}},
      {"err.usage", {"用法错误: {}", "usage: {}"}},
      {"msg.ledger_ok", {"透明日志校验通过: {} 条记录均在检查点(大小 {})中", "Transparency log verified: {} records are in the checkpoint of size {}"}},
      {"msg.ledger_consistent", {"与之前保存的检查点(大小 {})一致", "Consistent with the saved checkpoint of size {}"}},
      {"msg.ledger_tofu", {"首次使用: 日志公钥取自服务器，已保存，以后以此为准: {}", "First use: the log key came from the server and is kept from now on: {}"}},
      {"err.ledger_record_fails", {"记录 {} 未包含在检查点(大小 {})中: 该记录已被篡改", "record {} is not in the checkpoint of size {}: it was altered"}},
      {"err.ledger_rewritten", {"日志与之前保存的检查点(大小 {})不一致: 历史记录被改写", "the log is not consistent with the saved checkpoint of size {}: its history was rewritten"}},
      {"err.ledger_bad_checkpoint", {"检查点签名无效({})", "the checkpoint's signature does not verify ({})"}},
      {"err.ledger_key_changed", {"--key 与之前保存的日志公钥不同", "--key differs from the log key saved earlier"}},
      {"err.ledger_bad_key", {"日志公钥格式无效(应为 名称+密钥ID+base64)", "bad log key (expected name+key id+base64)"}},
      {"err.ledger_state_file", {"状态文件无法解析: {}", "the state file does not parse: {}"}},
      {"err.not_logged_in", {"尚未登录，请先运行 certseal login", "not logged in; run certseal login first"}},
      {"err.no_server", {"未指定服务器，请使用 --server URL 或设置 CERTSEAL_SERVER",
                         "no server; use --server URL or set CERTSEAL_SERVER"}},
      {"err.network", {"无法连接服务器: {}", "cannot reach the server: {}"}},
      {"err.bad_server_url", {"服务器地址无效(应为 https://主机[:端口]，不含用户名和密码): {}",
                              "bad server URL (expected https://host[:port], without user name or password): {}"}},
      {"err.insecure_server_url", {"拒绝使用明文 http:// 连接非本机服务器(请使用 https://): {}",
                                   "refusing plain http:// to a server that is not on this machine (use https://): {}"}},
      {"err.session_other_server", {"当前登录会话属于另一服务器 {}，请先对该服务器登录",
                                    "the saved session belongs to another server ({}); log in to this server first"}},
      {"err.server", {"服务器错误: {}", "server error: {}"}},
      {"err.refused", {"请求被拒绝: {}", "refused: {}"}},
      {"err.no_tty", {"无法打开终端，请使用 --password-fd 提供输入", "no terminal; use --password-fd to give input"}},
      {"err.input_ended", {"输入已结束", "input ended"}},
      {"err.passwords_differ", {"两次输入的密码不一致", "the two entries differ"}},
      {"err.password_short", {"证书密码至少需要6位", "the certificate password needs at least 6 characters"}},
      {"err.wrong_password", {"证书密码错误", "wrong certificate password"}},
      {"err.wrong_password_left", {"证书密码错误，还可尝试 {} 次", "wrong certificate password; {} tries left"}},
      {"err.pairing_code_mismatch", {"配对码与服务器转发的新设备密钥不符，未发送任何内容。请核对配对码；若无误，说明连接不可信",
                                     "the pairing code does not match the new device's key as the server relayed it; "
                                     "nothing was sent. Check the code; if it is right, the connection is not "
                                     "trustworthy"}},
      {"err.bad_pairing_code", {"配对码应为新设备显示的24位字母数字(A-Z、2-7)",
                                "the pairing code is the 24 letters and digits (A-Z, 2-7) the new device shows"}},
      {"err.pairing_envelope_forged", {"收到的密钥分量并非来自您的另一台设备，已拒绝，未作任何更改。请重新配对",
                                       "the key share did not come from your other device; refused, nothing was "
                                       "changed. Pair again"}},
      {"err.key_locked", {"证书密钥已锁定，请运行 certseal pin recover 找回证书密码",
                          "the key is locked; run certseal pin recover"}},
      {"err.key_unusable", {"该证书密钥已在本设备上停用(一次协同签名未通过验证)，请补办证书",
                            "this key was stopped on this device after a two-party signature failed to verify; "
                            "reissue the certificate"}},
      {"err.key_aborted", {"协同签名未通过验证：服务器的应答有误。为保护密钥，本设备已停用该证书密钥，请补办证书",
                           "the two-party signature did not verify: the server's answer is wrong. To protect the "
                           "key, this device has stopped using it; reissue the certificate"}},
      {"err.no_key", {"本设备上没有可用的证书密钥", "no certificate key on this device"}},
      {"err.unknown_key", {"本设备上没有该证书密钥: {}", "no such key on this device: {}"}},
      {"err.cloudkey_not_on_device", {"本设备上没有该证书: {}", "no such staff certificate on this device: {}"}},
      {"err.cloudkey_ambiguous", {"多个证书匹配 {}，请用 --tenant 指定单位", "several certificates match {}; name the tenant with --tenant"}},
      {"err.cloudkey_cert_key_mismatch", {"服务器返回的证书不属于本设备的密钥，未作更改", "the server's certificate is not for this device's key; nothing changed"}},
      {"err.several_keys", {"本设备上有多个证书密钥，请用 --key 或 --cert 指定", "several keys on this device; choose one with --key or --cert"}},
      {"err.scan_input", {"请给出二维码图片文件或 --payload 文本(二选一)", "give a QR picture file or --payload text (one of them)"}},
      {"err.scene_bad_payload", {"无法识别的二维码内容(不是 CertSeal 扫码请求)", "not a CertSeal scene QR code"}},
      {"err.scene_other_server", {"二维码属于另一服务器 {}，已拒绝(当前服务器 {})",
                                  "the QR code belongs to another server, {} (this client uses {}); refused"}},
      {"err.scene_envelope_not_for_key", {"该密文信封的密钥封装算法与所选证书的密钥不符",
                                          "The envelope's key transport does not match the chosen certificate's key"}},
      {"err.scene_no_certificate", {"本设备上没有可用于该平台的证书(可能需要购买互认共享服务)",
                                    "no certificate on this device may be used on this platform (mutual recognition may be needed)"}},
      {"err.scene_choose_cert", {"有多个证书可用，请用 --cert 指定: {}", "several certificates may answer; choose one with --cert: {}"}},
      {"err.scene_cert_not_usable", {"该证书不能用于此请求: {}", "this certificate cannot answer this request: {}"}},
      {"scene.06", {"扫码共享登录", "shared login"}},
      {"scene.20", {"扫码消息签名", "message signing"}},
      {"scene.13", {"扫码文件签章签名", "document sealing"}},
      {"scene.16", {"扫码授权加密", "authorised encryption"}},
      {"scene.14", {"扫码授权解密", "authorised decryption"}},
      {"msg.scene_decrypt", {"待解密的加密文件：{} 字节，SHA-256 {}", "Envelope to decrypt: {} bytes, SHA-256 {}"}},
      {"msg.scene_encrypt", {"待加密内容：{}", "Content to encrypt: {}"}},
      {"msg.scene_from", {"{}（{}）请求：{}", "{} ({}) asks for: {}"}},
      {"msg.applink_from", {"{}（{}）的证书申请：{}", "Certificate application from {} ({}): {}"}},
      {"msg.applink_next", {"下单：certseal order create --link {} --product <产品>",
                            "To order: certseal order create --link {} --product <product>"}},
      {"msg.scene_title", {"事项：{}", "What: {}"}},
      {"msg.scene_message", {"待签名内容：{}", "Message to sign: {}"}},
      {"msg.scene_message_binary", {"待签名内容：{} 字节，SHA-256 {}", "Message to sign: {} bytes, SHA-256 {}"}},
      {"msg.scene_expires", {"有效期至：{}", "Valid until: {}"}},
      {"msg.scene_cert", {"使用证书：{}（序列号 {}）", "Certificate: {} (serial {})"}},
      {"prompt.scene_confirm", {"确认授权？[y/N]: ", "Confirm? [y/N]: "}},
      {"msg.scene_done", {"已完成，结果已发送给 {}", "Done; the result went to {}"}},
      {"msg.scene_refused", {"已拒绝该请求", "You refused the request"}},
      {"prompt.token_pin", {"请输入介质口令(PIN): ", "Token PIN: "}},
      {"prompt.token_new_pin", {"请设置新的介质口令(PIN): ", "New token PIN: "}},
      {"msg.token_none", {"未发现证书介质", "No token found"}},
      {"msg.token_pin_changed", {"介质 {} 的口令已修改", "The PIN of token {} is changed"}},
      {"msg.token_cert_deleted", {"已删除证书 {}（介质 {}）", "Deleted certificate {} from token {}"}},
      {"msg.token_picture_written", {"已将签章图片 {} 写入介质 {}", "Wrote seal picture {} to token {}"}},
      {"msg.token_picture_read", {"签章图片已保存到 {}", "The seal picture is saved to {}"}},
      {"err.token_pin_incorrect", {"介质口令错误", "the token PIN is wrong"}},
      {"err.token_pin_locked", {"介质口令已锁定", "the token PIN is locked"}},
      {"err.token_pin_invalid", {"介质不接受该口令", "the token does not accept this PIN"}},
      {"err.token_no_cert", {"没有证书 {}（介质 {}）", "no certificate {} on token {}"}},
      {"err.token_no_picture", {"没有签章图片 {}（介质 {}）", "no seal picture {} on token {}"}},
      {"err.token_no_key", {"介质上没有对应的私钥", "the token holds no such private key"}},
      {"msg.token_enrolled", {"申请已提交 ({})，状态: {}", "Request {} submitted, status: {}"}},
      {"msg.token_installed", {"证书已安装到介质 {}: {}", "Certificate installed into token {}: {}"}},
      {"msg.token_nothing_new", {"没有新的证书需要安装", "No new certificate to install"}},
      {"err.token_not_found", {"未找到介质 {}", "no token {}"}},
      {"err.token_name_cert", {"请用 --label 或 --id 指定证书", "name the certificate with --label or --id"}},
      {"err.token_pin_short", {"口令至少4位", "the PIN needs at least 4 characters"}},
      {"err.token_picture_size", {"图片须为1字节至1 MiB", "the picture must be 1 byte to 1 MiB"}},
      {"prompt.pc_accept", {"允许这台电脑使用你的证书吗? (y/N): ", "Let this PC use your certificates? (y/N): "}},
      {"prompt.pc_confirm", {"确认执行该操作吗? (y/N): ", "Confirm this operation? (y/N): "}},
      {"msg.pc_pair_started", {"请用手机扫描二维码配对电脑 {}: {} (配对码 {})", "Scan this with the phone to pair PC {}: {} (code {})"}},
      {"msg.pc_paired", {"已与手机配对", "Paired with the phone"}},
      {"msg.pc_unpaired", {"已解除与手机的配对", "This PC is no longer paired"}},
      {"msg.pc_accept_ask", {"电脑 \"{}\" ({}) 请求使用你的证书", "PC \"{}\" ({}) asks to use your certificates"}},
      {"msg.pc_declined", {"已拒绝", "Declined"}},
      {"msg.pc_accepted", {"已允许电脑 {}", "PC {} is linked"}},
      {"msg.pc_removed", {"已解除电脑 {}", "PC {} is unlinked"}},
      {"msg.pc_request_from", {"电脑 \"{}\" 请求{}，证书 {}", "PC \"{}\" asks to {} with certificate {}"}},
      {"msg.pc_op_sign", {"签名", "sign"}},
      {"msg.pc_op_decrypt", {"解密", "decrypt"}},
      {"msg.pc_request_text", {"内容: {}", "Content: {}"}},
      {"msg.pc_request_bytes", {"数据 {} 字节，SHA-256 {}", "{} bytes of data, SHA-256 {}"}},
      {"msg.pc_refused", {"已拒绝请求 {}", "Refused request {}"}},
      {"msg.pc_done", {"已完成请求 {}", "Answered request {}"}},
      {"err.pc_not_paired", {"这台电脑尚未与手机配对 (certseal pc pair)", "this PC is not paired with a phone (certseal pc pair)"}},
      {"err.pc_pairing_ended", {"配对已结束: {}", "the pairing ended: {}"}},
      {"err.pc_pair_timeout", {"手机未在规定时间内确认", "the phone did not approve in time"}},
      {"err.pc_bad_payload", {"这不是电脑配对二维码", "this is not a PC pairing QR code"}},
      {"err.pc_accept_input", {"请给出二维码图片或 --payload 之一", "give exactly one of a QR picture and --payload"}},
      {"err.pc_no_request", {"没有等待确认的电脑请求", "no PC request is waiting"}},
      {"err.pc_mechanism_key",
       {"电脑请求的算法与该证书的密钥不符，已拒绝", "the PC asked for a mechanism this certificate's key does not have"}},
      {"err.pc_not_pending", {"该请求已结束: {}", "this request is already {}"}},
      {"err.bad_copy_field", {"无法复制字段: {}", "cannot copy field: {}"}},
      {"err.local", {"错误: {}", "error: {}"}},
  };
  return m;
}

Language g_lang = Language::kZh;

}  // namespace

void set_language(Language lang) { g_lang = lang; }
Language language() { return g_lang; }

Language language_from(std::string_view flag) {
  auto is_en = [](std::string_view v) { return v.substr(0, 2) == "en"; };
  if (!flag.empty()) return is_en(flag) ? Language::kEn : Language::kZh;
  for (const char* var : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* v = std::getenv(var);
    if (v && *v) return is_en(v) ? Language::kEn : Language::kZh;
  }
  return Language::kZh;
}

std::string tr_list(std::string_view key, std::initializer_list<std::string_view> args) {
  const auto& m = catalogue();
  auto it = m.find(key);
  std::string fmt = it == m.end() ? std::string(key) : (g_lang == Language::kEn ? it->second.en : it->second.zh);
  std::string out;
  auto arg = args.begin();
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] == '{' && i + 1 < fmt.size() && fmt[i + 1] == '}' && arg != args.end()) {
      out.append(*arg++);
      ++i;
    } else {
      out.push_back(fmt[i]);
    }
  }
  return out;
}

}  // namespace certseal::client
