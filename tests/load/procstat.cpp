#include "procstat.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mote::bench {

namespace {

bool read_file(const char* path, char* buf, std::size_t cap) {
    FILE* f = std::fopen(path, "r");
    if (f == nullptr) return false;
    const std::size_t n = std::fread(buf, 1, cap - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    return n > 0;
}

}  // namespace

ProcSample sample_process(int pid) {
    ProcSample s;
    char path[64];
    char buf[4096];
    std::snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (!read_file(path, buf, sizeof buf)) return s;
    const char* rss = std::strstr(buf, "VmRSS:");
    if (rss == nullptr) return s;
    s.rss_bytes = std::strtoull(rss + 6, nullptr, 10) * 1024U;  // the kernel reports kB

    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (!read_file(path, buf, sizeof buf)) return s;
    // The command name is in parentheses and may contain spaces: fields are counted
    // from the last ')'. utime and stime are fields 14 and 15 (proc(5)).
    const char* p = std::strrchr(buf, ')');
    if (p == nullptr) return s;
    int field = 2;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    for (++p; *p != '\0'; ++p) {
        if (*p != ' ') continue;
        ++field;
        if (field == 14) utime = std::strtoull(p + 1, nullptr, 10);
        if (field == 15) {
            stime = std::strtoull(p + 1, nullptr, 10);
            break;
        }
    }
    const long tck = sysconf(_SC_CLK_TCK);
    s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(tck > 0 ? tck : 100);
    s.ok = true;
    return s;
}

}  // namespace mote::bench
