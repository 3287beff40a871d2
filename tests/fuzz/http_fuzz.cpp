// libFuzzer target for the HTTP endpoint's input path: http::RequestReader over
// Debian's libhttp-parser, fed in fuzzer-chosen pieces, and route() plus
// response_head() for every request it completes.
//
// Input layout: byte 0 is the piece size (1-256); the rest is the byte stream of
// one connection. Checked: consumed never exceeds what was fed, a Done request
// consumed at least one byte, an error status is one of the documented ones, and
// the answer is well-formed (status line, Content-Length, blank line).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "http/request.hpp"
#include "http/routes.hpp"

using namespace mote::broker::http;

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "http_fuzz: %s\n", what);
    std::abort();
}

void check_answer(const Request& req, const Site& site) {
    const Response r = route(req, site);
    const std::string head = response_head(r, req.keep_alive);
    if (head.compare(0, 9, "HTTP/1.1 ") != 0 || head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
        fail("malformed response head");
    }
    if (head.find("Content-Length: ") == std::string::npos) fail("no Content-Length");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t piece = static_cast<std::size_t>(data[0]) + 1;
    const char* p = reinterpret_cast<const char*>(data + 1);
    std::size_t left = size - 1;
    Site site;
    site.dashboard = (data[0] & 1) != 0;
    site.config_json = dashboard_config_json("", 9001);
    site.metrics = [] { return std::string("mote_up 1\n"); };
    site.shutting_down = [] { return false; };
    RequestReader reader;
    std::string chunk;
    while (left > 0) {
        const std::size_t n = left < piece ? left : piece;
        std::size_t off = 0;
        while (off < n) {
            const RequestReader::Result res = reader.feed(p + off, n - off);
            if (res.consumed > n - off) fail("consumed more than fed");
            if (res.status == RequestReader::Status::Error) {
                const int s = res.error_status;
                if (s != 400 && s != 413 && s != 414 && s != 431 && s != 501 && s != 505) fail("unexpected status");
                return 0;
            }
            if (res.status == RequestReader::Status::NeedMore) {
                if (res.consumed != n - off) fail("NeedMore left bytes unread");
                break;
            }
            if (res.consumed == 0) fail("Done without consuming");
            check_answer(reader.request(), site);
            if (reader.request().upgrade) return 0;  // the server closes after it
            off += res.consumed;
        }
        p += n;
        left -= n;
    }
    return 0;
}
