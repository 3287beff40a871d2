// Runs every CppUTest group linked into the executable.
#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

int main(int argc, char** argv) {
    // The sanitizer build has LeakSanitizer, which sees more than CppUTest's
    // new/delete bookkeeping and does not conflict with the standard library's
    // lazily allocated state; the plain build keeps CppUTest's own leak checks.
#if defined(__SANITIZE_ADDRESS__)
    MemoryLeakWarningPlugin::turnOffNewDeleteOverloads();
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    MemoryLeakWarningPlugin::turnOffNewDeleteOverloads();
#endif
#endif
    return CommandLineTestRunner::RunAllTests(argc, argv);
}
