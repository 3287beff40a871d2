#include "http/request.hpp"

#include <climits>

namespace mote::broker::http {

namespace {

RequestReader& reader_of(http_parser* p) { return *static_cast<RequestReader*>(p->data); }

}  // namespace

RequestReader::RequestReader() {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    http_parser_settings_init(&settings_);
    settings_.on_message_begin = &RequestReader::on_message_begin;
    settings_.on_url = &RequestReader::on_url;
    settings_.on_header_field = &RequestReader::on_header_field;
    settings_.on_header_value = &RequestReader::on_header_value;
    settings_.on_headers_complete = &RequestReader::on_headers_complete;
    settings_.on_body = &RequestReader::on_body;
    settings_.on_message_complete = &RequestReader::on_message_complete;
}

int RequestReader::fail(int status, const char* reason) {
    // The first error wins: it is the one the bytes caused.
    if (error_status_ == 0) {
        error_status_ = status;
        error_reason_ = reason;
    }
    return -1;  // any value other than 0/1/2 makes http_parser stop with an error
}

bool RequestReader::count(std::size_t len) {
    header_bytes_ += len;
    return header_bytes_ <= kMaxHeaderBytes;
}

int RequestReader::on_message_begin(http_parser* p) {
    RequestReader& r = reader_of(p);
    r.req_ = Request{};
    r.target_.clear();
    r.header_bytes_ = 0;
    r.in_request_ = true;
    return 0;
}

int RequestReader::on_url(http_parser* p, const char* at, std::size_t len) {
    RequestReader& r = reader_of(p);
    if (r.target_.size() + len > kMaxTargetBytes) {
        return r.fail(414, "request target too long");
    }
    if (!r.count(len)) {
        return r.fail(431, "request header fields too large");
    }
    r.target_.append(at, len);
    return 0;
}

// Header names and values are not kept: the endpoint needs none of them beyond
// what http_parser tracks itself (Connection, Content-Length, Upgrade). Each
// counts with its separator (": " and CRLF), so that many tiny headers add up
// the way they do on the wire. A long field may arrive in several callbacks;
// counting the separator each time only errs on the strict side.
int RequestReader::on_header_field(http_parser* p, const char* /*at*/, std::size_t len) {
    RequestReader& r = reader_of(p);
    return r.count(len + 2) ? 0 : r.fail(431, "request header fields too large");
}

int RequestReader::on_header_value(http_parser* p, const char* /*at*/, std::size_t len) {
    RequestReader& r = reader_of(p);
    return r.count(len + 2) ? 0 : r.fail(431, "request header fields too large");
}

int RequestReader::on_headers_complete(http_parser* p) {
    RequestReader& r = reader_of(p);
    if (p->http_major != 1) {
        return r.fail(505, "HTTP version not supported");  // http_parser accepts any digit
    }
    const bool chunked = (p->flags & F_CHUNKED) != 0;
    const bool has_length = p->content_length != 0 && p->content_length != ULLONG_MAX;
    if (chunked || has_length) {
        return r.fail(413, "request bodies are not accepted");
    }
    const auto m = static_cast<http_method>(p->method);
    r.req_.method = m == HTTP_GET ? Method::Get : (m == HTTP_HEAD ? Method::Head : Method::Other);
    r.req_.method_name = http_method_str(m);
    const std::size_t q = r.target_.find_first_of("?#");
    r.req_.path = r.target_.substr(0, q);
    return 0;
}

int RequestReader::on_body(http_parser* p, const char* /*at*/, std::size_t /*len*/) {
    return reader_of(p).fail(413, "request bodies are not accepted");
}

int RequestReader::on_message_complete(http_parser* p) {
    RequestReader& r = reader_of(p);
    r.req_.keep_alive = http_should_keep_alive(p) != 0;
    r.req_.upgrade = p->upgrade != 0;
    r.in_request_ = false;
    r.complete_ = true;
    // Stop here: execute() returns what this request used, the rest is the next one.
    http_parser_pause(p, 1);
    return 0;
}

RequestReader::Result RequestReader::feed(const char* data, std::size_t len) {
    Result res;
    if (error_status_ != 0) {
        res.status = Status::Error;
        res.error_status = error_status_;
        res.error_reason = error_reason_;
        return res;
    }
    http_parser_pause(&parser_, 0);
    complete_ = false;
    const std::size_t used = http_parser_execute(&parser_, &settings_, data, len);
    const auto err = static_cast<http_errno>(parser_.http_errno);
    res.consumed = used;
    if (complete_ && (err == HPE_OK || err == HPE_PAUSED)) {
        // With an Upgrade header http_parser stops after the headers; the request
        // is answered like any other and the connection closed (Request::upgrade).
        res.status = Status::Done;
        return res;
    }
    if (err == HPE_OK && used == len && !parser_.upgrade) {
        res.status = Status::NeedMore;
        return res;
    }
    if (error_status_ == 0) {
        if (err == HPE_HEADER_OVERFLOW) {
            fail(431, "request header fields too large");
        } else if (err == HPE_INVALID_METHOD) {
            // A method-like token (letters) is a method we do not know: 501. Binary
            // or punctuation is just not HTTP: 400.
            bool token = used < len;
            for (std::size_t i = 0; i <= used && i < len && token; ++i) {
                const char ch = data[i];
                token = (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_' || (i > 0 && ch == ' ');
            }
            fail(token ? 501 : 400, token ? "unknown request method" : "not an HTTP request");
        } else if (err == HPE_INVALID_VERSION) {
            fail(505, "HTTP version not supported");
        } else {
            fail(400, http_errno_description(err));
        }
    }
    res.status = Status::Error;
    res.error_status = error_status_;
    res.error_reason = error_reason_;
    return res;
}

}  // namespace mote::broker::http
