// `certseal pc …`: the phone as a PC key (移动电子密钥, docs/PKCS11.md).
//   On the PC:    pair (start, show the QR payload and code, wait for the phone, save pc.json for
//                 the PKCS#11 module), status, unpair.
//   On the phone: accept <payload> (approve a PC), list, remove <pc id>, requests (what linked PCs
//                 wait for), confirm [id] (show, ask, sign or decrypt through the two-party
//                 protocol — the PIN cache applies — and answer), refuse [id].
// pc.json (0600, in the data dir) holds the server URL, the link id and the PC's bearer token;
// libcertseal-pkcs11.so reads it (CERTSEAL_PC_CONFIG, else the data dir as the client finds it).
//
// Wiring: cli.cpp calls add_pc_commands with its context, which becomes the hooks below (session
// API, prompts, the device half of a key); the command's work is set into `action` as the other
// families do.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/result.h"
#include "client/http.h"

namespace certseal::client {

struct PcCliHooks {
  std::function<Result<Http*>(bool need_session)> api;
  std::function<bool()> json_output;
  std::function<Result<std::filesystem::path>()> data_dir;
  std::function<Result<std::string>(const std::string& prompt)> ask_line;
  // The key of certificate cert_id on this device signs, per the request's mechanism: "sm2-sm3"
  // (data = the message; SM2 with SM3, default ID) or "sm2" (data = the digest e): raw r‖s;
  // "rsa-sha256" (data = the message) or "rsa-sha256-digest" (data = its SHA-256 digest): the
  // PKCS#1 v1.5 signature; "ecdsa-sha256" (data = the message) or "ecdsa-sha256-digest" (data =
  // its SHA-256 digest) with a two-party P-256 key: raw r‖s after the Lindell two-party step
  // (the certificate password is asked). A mechanism of another key type:
  // mechanism_key_mismatch, nothing is asked.
  std::function<Result<Bytes>(const std::string& cert_id, const std::string& mechanism,
                              BytesView data, const std::string& purpose)>
      sign;
  // Decryption with the key of cert_id: "sm2" (C1‖C3‖C2) or "rsa-pkcs1" (a k-byte RSA
  // ciphertext, PKCS#1 v1.5 padding).
  std::function<Result<SecretBytes>(const std::string& cert_id, const std::string& mechanism,
                                    BytesView ciphertext, const std::string& purpose)>
      decrypt;
};

// pc.json: where the PC's link is kept. Errors: data_dir.
Result<std::filesystem::path> pc_config_path(const std::filesystem::path& data_dir);

void add_pc_commands(CLI::App& app, PcCliHooks hooks,
                     std::function<Result<nlohmann::json>()>& action);

namespace cli {
class Ctx;
}
// The same, with hooks made from run_cli's context (client/cli_context.h): its session API, JSON
// output and prompts, and the device half of a key on this device (the PIN cache's when it holds
// the key).
void add_pc_commands(CLI::App& app, cli::Ctx& ctx, std::function<Result<nlohmann::json>()>& action);

}  // namespace certseal::client
