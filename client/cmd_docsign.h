// Signed documents on the command line (docs/CLI.md): `certseal verify FILE.pdf|FILE.ofd [--trust CA.pem]`
// and `certseal doc verify FILE.pdf [--trust CA.pem]` list every signature in a PDF with signer,
// seal, claimed and time-stamp time, and the checks of docsign/pdf_verifier.h. Offline: nothing
// is sent to the server; the roots to trust are given as PEM files (the platform's are at
// /ca/{id}/chain.pem).
//
// Exit: 0 when every signature is good, non-zero (and a one-line error) when a signature is not,
// or when the file has none or cannot be read.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::client {

// The report of verify_pdf as JSON, printed for a person unless json_output; an error when a
// signature is not good. Errors: usage (unreadable trust file), pdf_unreadable, pdf_encrypted,
// no_signatures, document_signature_invalid.
Result<nlohmann::json> verify_pdf_file(const std::string& path, const std::vector<std::string>& trust_pem_files,
                                       bool json_output);

// The same for an OFD package (GB/T 33190 §18 signatures, docsign/ofd_verifier.h), which
// verify_pdf_file hands over to when the file's content is an OFD (not by its name). The roots
// come already read. Errors: the ZIP/OFD reader's (zip_*, ofd_*), no_signatures,
// document_signature_invalid.
Result<nlohmann::json> verify_ofd_bytes(BytesView ofd, const std::vector<Bytes>& roots, bool json_output);

void add_docsign_commands(CLI::App& app, std::function<bool()> json_output,
                          std::function<Result<nlohmann::json>()>& action);

}  // namespace certseal::client
