// Incremental HTTP/1.x request reader over Debian's libhttp-parser, sans-I/O:
// bytes in, at most one complete request (or an error status) out per feed().
// The HTTP endpoint only serves small GET/HEAD requests, so the reader keeps the
// path and nothing else, and enforces strict limits before anything is buffered:
// request line plus headers at most kMaxHeaderBytes (431), the target at most
// kMaxTargetBytes (414), no request body (413).
//
// Ownership: the reader copies the target into `Request::path`; it keeps no view
// into the fed bytes after feed() returns.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace mote::broker::http {

enum class Method : std::uint8_t { Get, Head, Other };

struct Request {
    Method method = Method::Other;
    std::string method_name;  // "POST", for logs and the 405 answer
    std::string path;         // target without the query string, e.g. "/metrics"
    bool keep_alive = false;  // http_should_keep_alive(): HTTP/1.1 without "Connection: close"
    bool upgrade = false;     // an Upgrade header: not served here, answered then closed
};

class RequestReader {
public:
    static constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
    static constexpr std::size_t kMaxTargetBytes = 2 * 1024;

    enum class Status : std::uint8_t {
        NeedMore,  // all bytes consumed, the request is not complete yet
        Done,      // `request` is complete; `consumed` bytes belong to it
        Error,     // bad input: answer `error_status` and close the connection
    };
    struct Result {
        Status status = Status::NeedMore;
        std::size_t consumed = 0;
        int error_status = 0;          // 400, 413, 414, 431, 501
        const char* error_reason = ""; // one line for the log and the response body
    };

    RequestReader();
    RequestReader(const RequestReader&) = delete;
    RequestReader& operator=(const RequestReader&) = delete;

    // Parses from `data`. Stops after one complete request so that the caller can
    // answer it before the next one of a pipeline is read. After Error the reader
    // must not be fed again.
    Result feed(const char* data, std::size_t len);
    // The request of the last Done result (valid until the next feed()).
    const Request& request() const { return req_; }
    // True while a request has started but not completed (for the request timer).
    bool in_request() const { return in_request_; }

private:
    static int on_message_begin(http_parser* p);
    static int on_url(http_parser* p, const char* at, std::size_t len);
    static int on_header_field(http_parser* p, const char* at, std::size_t len);
    static int on_header_value(http_parser* p, const char* at, std::size_t len);
    static int on_headers_complete(http_parser* p);
    static int on_body(http_parser* p, const char* at, std::size_t len);
    static int on_message_complete(http_parser* p);
    int fail(int status, const char* reason);
    bool count(std::size_t len);

    http_parser parser_{};
    http_parser_settings settings_{};
    Request req_;
    std::string target_;
    std::size_t header_bytes_ = 0;
    bool in_request_ = false;
    bool complete_ = false;
    int error_status_ = 0;
    const char* error_reason_ = "";
};

}  // namespace mote::broker::http
