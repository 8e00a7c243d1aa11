// The certseal client's user-facing text: one small catalogue, Simplified Chinese by default and
// English on request (`--lang en`, or LANG / LC_ALL / LC_MESSAGES starting with "en").
//
// Contract: tr(key) returns the text for the current language; "{}" placeholders are replaced in
// order by the arguments given to tr(key, args...). An unknown key returns the key itself, so a
// missing entry shows up in tests instead of crashing. set_language is called once at start-up;
// tr is then read-only and thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace certseal::client {

enum class Language { kZh, kEn };

void set_language(Language lang);
Language language();
// "zh"/"en" (also "zh_CN", "en_US.UTF-8", ...). Empty → from the environment.
Language language_from(std::string_view flag);

std::string tr_list(std::string_view key, std::initializer_list<std::string_view> args);
inline std::string tr(std::string_view key) { return tr_list(key, {}); }
template <class... A>
std::string tr(std::string_view key, const A&... args) {
  return tr_list(key, {std::string_view(args)...});
}

}  // namespace certseal::client
