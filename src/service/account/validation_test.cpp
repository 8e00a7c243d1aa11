#include "service/account/validation.h"

#include <gtest/gtest.h>

namespace certseal::service {
namespace {

TEST(Validation, Phone) {
  EXPECT_TRUE(validate_phone("13800138000").ok());
  EXPECT_FALSE(validate_phone("12800138000").ok());
  EXPECT_FALSE(validate_phone("1380013800").ok());
  EXPECT_FALSE(validate_phone("1380013800a").ok());
  EXPECT_EQ(validate_phone("x").error().fields[0].field, "phone");
}

TEST(Validation, PasswordNeedsLengthAndThreeClasses) {
  EXPECT_TRUE(validate_password("Abcdefg1").ok());
  EXPECT_TRUE(validate_password("abcdef1!").ok());
  EXPECT_TRUE(validate_password("ABCDEF1!xyzxyzxy").ok());  // 16
  EXPECT_EQ(validate_password("Abcdef1").error().code, "weak_password");   // 7
  EXPECT_FALSE(validate_password("Abcdefgh12345678x").ok());               // 17
  EXPECT_FALSE(validate_password("abcdefgh1").ok());                        // two classes
  EXPECT_FALSE(validate_password("Abc def1!").ok());                        // space
  EXPECT_FALSE(validate_password("Abcdefg1中").ok());                      // not ASCII
}

TEST(Validation, IdNumberCheckDigitPerGb11643) {
  // The standard's own example, and numbers whose check character was computed by hand.
  EXPECT_TRUE(validate_id_number("11010519491231002X").ok());
  EXPECT_TRUE(validate_id_number("11010519491231002x").ok());
  EXPECT_TRUE(validate_id_number("440524198001010013").ok());
  EXPECT_EQ(validate_id_number("110105194912310021").error().code, "invalid_id_check_digit");
  EXPECT_EQ(validate_id_number("11010519491331002X").error().code, "invalid_id_number");  // month 13
  EXPECT_FALSE(validate_id_number("1101051949123100").ok());
  EXPECT_FALSE(validate_id_number("A1010519491231002X").ok());
}

TEST(Validation, CreditCodeCheckCharacterPerGb32100) {
  EXPECT_TRUE(validate_credit_code("91350100M000100Y43").ok());
  EXPECT_TRUE(validate_credit_code("91110000600037341L").ok());
  EXPECT_EQ(validate_credit_code("91350100M000100Y44").error().code,
            "invalid_credit_code_check_digit");
  EXPECT_EQ(validate_credit_code("91350100M000100I43").error().code, "invalid_credit_code");  // I
  EXPECT_FALSE(validate_credit_code("9135010").ok());
}

TEST(Validation, Names) {
  EXPECT_TRUE(validate_name("张三").ok());
  EXPECT_TRUE(validate_name("北京某某科技有限公司", "org_name", 100).ok());
  EXPECT_FALSE(validate_name("").ok());
  EXPECT_FALSE(validate_name("a\nb").ok());
  EXPECT_FALSE(validate_name("\xff\xfe").ok());
  EXPECT_FALSE(validate_name(std::string(65, 'a')).ok());
}

TEST(Validation, MaskPhone) { EXPECT_EQ(mask_phone("13800138000"), "138****8000"); }

TEST(Validation, MaskIdNumber) {
  EXPECT_EQ(mask_id_number("11010519491231002X"), "110***********002X");
  EXPECT_EQ(mask_id_number("123"), "123");  // not an ID number: shown as given
}

}  // namespace
}  // namespace certseal::service
