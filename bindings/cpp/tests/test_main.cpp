// GoogleTest entry point: prints which native library version is under test.
#include <cstdio>

#include <gtest/gtest.h>

#include "haptix.hpp"

int main(int argc, char **argv) {
    std::printf("haptix library %s, C ABI %u\n", haptix::library_version(), haptix_abi_version());
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
