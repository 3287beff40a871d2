// mote-bench: MQTT load generator for mote-broker and other brokers on loopback.
#include "bench.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
    mote::bench::Options o;
    if (!mote::bench::parse_options(argc, argv, o)) return 2;
    mote::bench::Bench b(o);
    return b.run();
}
