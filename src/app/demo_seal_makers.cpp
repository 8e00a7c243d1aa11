#include "app/demo_seal_makers.h"

#include <string>
#include <utility>

#include "pki/profile.h"

namespace certseal::app {
namespace {

// A demo USCC (GB 32100) with its check character computed, from 17 fixed characters.
std::string demo_uscc(const std::string& prefix) {
  for (char c : std::string("0123456789ABCDEFGHJKLMNPQRTUWXY")) {
    if (pki::valid_uscc(prefix + c)) return prefix + c;
  }
  return {};
}

}  // namespace

Status certify_demo_seal_makers(service::SealService& seals) {
  for (auto [id, prefix] : {std::pair{"demo-seal-maker-1", "91110108MA01MKR01"}, std::pair{"demo-seal-maker-2", "91110108MA01MKR02"}}) {
    auto r = seals.certify_maker(id, demo_uscc(prefix));
    // A maker an operator removed from the demo catalogue is simply skipped.
    if (!r && r.error().code != "seal_maker_not_found") return std::move(r).error();
  }
  return ok_status();
}

}  // namespace certseal::app
