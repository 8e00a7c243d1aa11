#include "service/account/validation.h"

#include <array>
#include <string>

namespace certseal::service {
namespace {

Error field_error(std::string_view field, std::string code, std::string message) {
  Error e = invalid_argument(code, message);
  e.fields.push_back({std::string(field), std::move(code), std::move(message)});
  return e;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool valid_date(int y, int m, int d) {
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1) return false;
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max = kDays[static_cast<std::size_t>(m - 1)];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) max = 29;
  return d <= max;
}

// Counts UTF-8 code points; returns -1 for malformed UTF-8 or control characters.
int count_chars(std::string_view s) {
  int n = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return -1;
    if (len == 1 && (c < 0x20 || c == 0x7F)) return -1;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return -1;
    }
    i += len;
    ++n;
  }
  return n;
}

}  // namespace

Status validate_phone(std::string_view phone, std::string_view field) {
  bool ok = phone.size() == 11 && phone[0] == '1' && phone[1] >= '3' && phone[1] <= '9';
  for (char c : phone) ok = ok && is_digit(c);
  if (!ok) {
    return field_error(field, "invalid_phone", "the phone number must be an 11-digit mobile number");
  }
  return {};
}

Status validate_password(std::string_view pw, std::string_view field) {
  if (pw.size() < 8 || pw.size() > 16) {
    return field_error(field, "weak_password", "the password must have 8 to 16 characters");
  }
  bool upper = false, lower = false, digit = false, special = false;
  for (char c : pw) {
    if (c <= 0x20 || c >= 0x7F) {
      return field_error(field, "weak_password",
                         "the password may contain only printable ASCII characters without spaces");
    }
    if (c >= 'A' && c <= 'Z') upper = true;
    else if (c >= 'a' && c <= 'z') lower = true;
    else if (is_digit(c)) digit = true;
    else special = true;
  }
  if (int{upper} + int{lower} + int{digit} + int{special} < 3) {
    return field_error(field, "weak_password",
                       "the password needs at least three of: upper case, lower case, digits, "
                       "special characters");
  }
  return {};
}

Status validate_id_number(std::string_view id, std::string_view field) {
  if (id.size() != 18) {
    return field_error(field, "invalid_id_number", "the ID number must have 18 characters");
  }
  for (std::size_t i = 0; i < 17; ++i) {
    if (!is_digit(id[i])) {
      return field_error(field, "invalid_id_number", "the first 17 characters must be digits");
    }
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (id[i] - '0');
    return v;
  };
  if (!valid_date(num(6, 4), num(10, 2), num(12, 2))) {
    return field_error(field, "invalid_id_number", "the ID number holds no valid birth date");
  }
  static constexpr std::array<int, 17> kWeights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  constexpr std::string_view kCheck = "10X98765432";
  char want = kCheck[static_cast<std::size_t>(sum % 11)];
  char got = id[17] == 'x' ? 'X' : id[17];
  if (got != want) {
    return field_error(field, "invalid_id_check_digit", "the ID number's check digit is wrong");
  }
  return {};
}

Status validate_credit_code(std::string_view code, std::string_view field) {
  constexpr std::string_view kChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  if (code.size() != 18) {
    return field_error(field, "invalid_credit_code",
                       "the unified social credit code must have 18 characters");
  }
  static constexpr std::array<int, 17> kWeights = {1, 3, 9, 27, 19, 26, 16, 17, 20,
                                                   29, 25, 13, 8, 24, 10, 30, 28};
  int sum = 0;
  for (std::size_t i = 0; i < 18; ++i) {
    auto pos = kChars.find(code[i]);
    if (pos == std::string_view::npos) {
      return field_error(field, "invalid_credit_code",
                         "the unified social credit code has a character it may not contain");
    }
    if (i < 17) sum += static_cast<int>(pos) * kWeights[i];
  }
  int check = 31 - sum % 31;
  if (check == 31) check = 0;
  if (code[17] != kChars[static_cast<std::size_t>(check)]) {
    return field_error(field, "invalid_credit_code_check_digit",
                       "the unified social credit code's check character is wrong");
  }
  return {};
}

Status validate_name(std::string_view name, std::string_view field, int max_chars) {
  int n = count_chars(name);
  if (n < 1 || n > max_chars) {
    return field_error(field, "invalid_name",
                       "the name must have 1 to " + std::to_string(max_chars) +
                           " characters and no control characters");
  }
  return {};
}

std::string mask_phone(std::string_view phone) {
  if (phone.size() != 11) return std::string(phone);
  return std::string(phone.substr(0, 3)) + "****" + std::string(phone.substr(7));
}

std::string mask_id_number(std::string_view id) {
  if (id.size() != 18) return std::string(id);
  return std::string(id.substr(0, 3)) + std::string(11, '*') + std::string(id.substr(14));
}

}  // namespace certseal::service
