// Validation of identity data. Each function returns ok or an invalid_argument Error whose
// field error names the field, so handlers can pass it straight through.
#pragma once

#include <string_view>

#include "base/result.h"

namespace certseal::service {

// Mainland China mobile number: 11 digits starting 1[3-9].
Status validate_phone(std::string_view phone, std::string_view field = "phone");

// 8-16 printable ASCII characters without spaces, with at least three of: upper case, lower case,
// digit, special character.
Status validate_password(std::string_view password, std::string_view field = "password");

// Resident identity number per GB 11643-1999: 17 digits, a valid birth date, and the check
// character (weights 2^(17-i) mod 11, check = "10X98765432"[sum mod 11]).
Status validate_id_number(std::string_view id, std::string_view field = "id_number");

// Unified social credit code per GB 32100-2015: 18 characters from 0-9 and A-Y without I O S V Z,
// the 18th the check character (weights 3^(i) mod 31, check = 31 - sum mod 31).
Status validate_credit_code(std::string_view code, std::string_view field = "credit_code");

// A person's or organisation's name: 1-max_chars Unicode characters, no control characters.
Status validate_name(std::string_view name, std::string_view field = "name", int max_chars = 64);

// "138****1234": the phone with its middle hidden, for display and logs.
std::string mask_phone(std::string_view phone);
// "110***********002X": an 18-character ID number with its middle 11 hidden (other lengths as given).
std::string mask_id_number(std::string_view id);

}  // namespace certseal::service
