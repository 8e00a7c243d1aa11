// The context of one `certseal` run and the helpers its command families share.
//
// Ctx holds the global options and opens, on first use, what a command needs: the device store
// (client/device_store.h), the prompter for passwords and codes, and the API with the session's
// token. A command family (client/cli_commands.h) reads its options, then calls the helpers here to
// pick a key, ask for a password, run a two-party step and print. Everything here is for the CLI
// only: it prints and prompts in the user's language (client/messages.h).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/rng.h"
#include "client/device_half.h"
#include "client/device_store.h"
#include "client/http.h"
#include "client/prompt.h"
#include "client/shield.h"

namespace certseal::client::cli {

using nlohmann::json;
// What a parsed command does once the whole command line is known.
using Action = std::function<Result<json>()>;

// A usage error (exit code kExitUsage) with the message as given.
Error usage(std::string msg);

struct Globals {
  std::string server, data_dir, lang;
  bool json = false;
  int password_fd = -1;
  int new_password_fd = -1;
};

class Ctx {
 public:
  Globals g;
  SystemRng rng;

  // The device store of --data-dir (or the default folder), opened once.
  Result<DeviceStore*> store();
  Result<DeviceInfo> device();
  // Answers to prompts: --password-fd when given, else the terminal.
  Prompter& prompter();
  // New passwords come from --new-password-fd when given, else from the same source.
  Prompter& new_prompter();
  // --server, else the session's server, else $CERTSEAL_SERVER.
  Result<std::string> server_url();
  // The API with the session's token (need_session: "not_logged_in" without one). The token is
  // sent only to the origin that issued it.
  Result<Http*> api(bool need_session = true);
  const std::string& phone() const { return phone_; }
  Result<ShieldClient> shield();

 private:
  std::optional<DeviceStore> store_;
  std::optional<Prompter> prompter_, new_prompter_;
  std::unique_ptr<Http> http_;
  std::string phone_;
};

// j[k] as text: a string as is, null or missing as "", anything else as its JSON.
std::string str(const json& j, const char* k);
// A file's bytes, or standard input for "-".
Result<std::string> read_input_file(const std::string& path);
Status write_output_file(const std::string& path, std::string_view data);
std::string new_request_id(Rng& rng);
// The SMS code: given on the command line, or sent now (to the session's phone) and asked for.
// action/object_id: bind an authorise code to the operation it is for (the SMS names it).
Result<std::string> sms_code(Ctx& ctx, const std::string& given, const std::string& purpose,
                             const std::string& action = "", const std::string& object_id = "");
// A new certificate password, asked twice; at least 6 characters.
Result<SecretString> new_cert_password(Ctx& ctx);
// Which key: --key, else the key of --cert (or of a renewed/changed version of it), else the
// only key on this device.
Result<KeyFile> choose_key(Ctx& ctx, const std::string& key_id, const std::string& cert_id);
// The staff certificate chosen on this device (`certseal cloudkey use`, docs/CLOUDKEY.md):
// <data dir>/cloudkey.json {"key_id"}; "" when none. choose_key takes it when several keys are
// on the device and none is named. choose_cloud_key("") forgets the choice.
std::string chosen_key(const fs::path& data_dir);
Status choose_cloud_key(const fs::path& data_dir, const std::string& key_id);
// Turns bad_unlock_proof / key_locked into the user's message (with tries left when known).
Error explain_unlock_error(Ctx& ctx, const KeyFile& key, Error e);
// Runs fn with the share unlocked by the certificate password (asked for here: the PIN cache
// never hands a share out), then hands the unlocked share to the cache, if one runs.
Result<json> with_unlocked(Ctx& ctx, const KeyFile& key,
                           const std::function<Result<json>(const Unlocked&)>& fn);
// Runs fn with the device half of a two-party step (client/device_half.h): the PIN cache's when
// it holds the key, else this process's after asking for the certificate password.
Result<json> with_device_half(Ctx& ctx, const KeyFile& key,
                              const std::function<Result<json>(DeviceHalf&)>& fn);
// Runs fn with a two-party RSA key's device half unlocked by the certificate password (asked for
// here; the PIN cache holds SM2 shares only).
Result<json> with_rsa_unlocked(Ctx& ctx, const KeyFile& key, const std::function<Result<json>(const UnlockedRsa&)>& fn);
// The same for a two-party ECDSA P-256 key. When fn fails with ecdsa_split_abort (a signature
// that does not verify: the abort rule of crypto/ecdsa_split.h), the key is marked unusable in
// the device store before the error is returned; later unlocks refuse it (key_unusable).
Result<json> with_ecdsa_unlocked(Ctx& ctx, const KeyFile& key,
                                 const std::function<Result<json>(const UnlockedEcdsa&)>& fn);
// Signs `message` with the key through the two-party protocol, whatever its kind, asking for the
// certificate password as each kind needs (the PIN cache serves SM2), and hands fn the signature:
// DER for SM2 (the GM/T 0009 default ID, SM3) and ECDSA P-256 (SHA-256), the PKCS#1 v1.5 SHA-256
// block for RSA. `purpose` is what the server logs for the signing step.
Result<json> with_signature(Ctx& ctx, ShieldClient& sh, const KeyFile& key, BytesView message,
                            const std::string& purpose, const std::function<Result<json>(const Bytes&)>& fn);
// image/png, image/jpeg or application/octet-stream, from the first bytes.
std::string content_type_of(const std::string& bytes);
// An amount in fen as yuan text ("12.50"), "" when j[k] is not an integer.
std::string fen(const json& j, const char* k);
// Text mode: says so, on one line, when a list the server returned is empty.
void say_if_empty(const Ctx& ctx, const json& items, std::string_view message_key);

}  // namespace certseal::client::cli
