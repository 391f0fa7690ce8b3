// core/secret: one rule for every secret file (daemon and kea-ha-ctl alike).
#include <gtest/gtest.h>

#include "kea_ha/core/secret.hpp"

namespace {

using kea_ha::core::secret_from_text;

TEST(SecretFile, TheFirstLineWithoutItsLineEnding) {
    EXPECT_EQ(secret_from_text("t0ken").value(), "t0ken");
    EXPECT_EQ(secret_from_text("t0ken\n").value(), "t0ken");
    EXPECT_EQ(secret_from_text("t0ken\r\n").value(), "t0ken");
    EXPECT_EQ(secret_from_text("t0ken\n\n\r\n").value(), "t0ken") << "empty lines after it do not count";
}

TEST(SecretFile, SpacesArePartOfTheSecret) {
    EXPECT_EQ(secret_from_text(" pass word \n").value(), " pass word ");
}

TEST(SecretFile, EmptyMultiLineOrBinaryIsRefusedSayingWhy) {
    auto empty = secret_from_text("\n");
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message.find("empty"), std::string::npos);
    EXPECT_FALSE(secret_from_text(""));
    auto two = secret_from_text("one\ntwo\n");
    ASSERT_FALSE(two);
    EXPECT_NE(two.error().message.find("more than one line"), std::string::npos);
    EXPECT_FALSE(secret_from_text(std::string("a\0b", 3)));
}

}  // namespace
