// Reading a broker's resource use from /proc (Linux): VmRSS and utime+stime.
#pragma once

#include <cstdint>

namespace mote::bench {

struct ProcSample {
    bool ok = false;
    std::uint64_t rss_bytes = 0;  // VmRSS from /proc/PID/status
    double cpu_seconds = 0;       // (utime + stime) / CLK_TCK from /proc/PID/stat
};

ProcSample sample_process(int pid);

}  // namespace mote::bench
