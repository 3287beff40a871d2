// mote-bench: MQTT load generator for mote-broker and other brokers on loopback.
#include <cstring>

#include "bench.hpp"
#include "options.hpp"
#include "selftest.hpp"

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--self-test") == 0) return mote::bench::self_test();
    mote::bench::Options o;
    if (!mote::bench::parse_options(argc, argv, o)) return 2;
    mote::bench::Bench b(o);
    return b.run();
}
