// http::RequestReader: requests split anywhere, pipelining one request per feed,
// and every limit's status code (docs/dashboard.md "Limits").
#include "http/request.hpp"

#include <CppUTest/TestHarness.h>

#include <string>

using mote::broker::http::Method;
using mote::broker::http::RequestReader;

namespace {

using Status = RequestReader::Status;

RequestReader::Result feed(RequestReader& r, const std::string& s) { return r.feed(s.data(), s.size()); }

// The status a whole request text gets.
int error_of(const std::string& text) {
    RequestReader r;
    const auto res = feed(r, text);
    return res.status == Status::Error ? res.error_status : 0;
}

}  // namespace

TEST_GROUP(RequestReader) {};

TEST(RequestReader, OneRequestSplitAtEveryByte) {
    const std::string text = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
    for (std::size_t cut = 1; cut < text.size(); ++cut) {
        RequestReader r;
        const auto first = r.feed(text.data(), cut);
        CHECK(first.status == Status::NeedMore);
        CHECK_EQUAL(cut, first.consumed);
        CHECK(r.in_request());
        const auto second = r.feed(text.data() + cut, text.size() - cut);
        CHECK(second.status == Status::Done);
        CHECK_EQUAL(text.size() - cut, second.consumed);
        STRCMP_EQUAL("/metrics", r.request().path.c_str());
        CHECK(r.request().method == Method::Get);
        CHECK(r.request().keep_alive);
        CHECK_FALSE(r.in_request());
    }
}

TEST(RequestReader, PipelinedRequestsComeOutOneAtATime) {
    const std::string a = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
    const std::string b = "HEAD /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    const std::string all = a + b;
    RequestReader r;
    auto res = feed(r, all);
    CHECK(res.status == Status::Done);
    CHECK_EQUAL(a.size(), res.consumed);
    STRCMP_EQUAL("/healthz", r.request().path.c_str());
    res = r.feed(all.data() + a.size(), b.size());
    CHECK(res.status == Status::Done);
    CHECK_EQUAL(b.size(), res.consumed);
    CHECK(r.request().method == Method::Head);
    CHECK_FALSE(r.request().keep_alive);
}

TEST(RequestReader, Http10ClosesUnlessKeepAlive) {
    RequestReader r;
    CHECK(feed(r, "GET / HTTP/1.0\r\n\r\n").status == Status::Done);
    CHECK_FALSE(r.request().keep_alive);
}

TEST(RequestReader, OtherMethodsAreParsedForA405) {
    RequestReader r;
    CHECK(feed(r, "DELETE /metrics HTTP/1.1\r\nHost: a\r\n\r\n").status == Status::Done);
    CHECK(r.request().method == Method::Other);
    STRCMP_EQUAL("DELETE", r.request().method_name.c_str());
}

TEST(RequestReader, LimitsAndBadInput) {
    CHECK_EQUAL(431, error_of("GET / HTTP/1.1\r\nX: " + std::string(RequestReader::kMaxHeaderBytes, 'a') + "\r\n\r\n"));
    std::string many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 1500; ++i) many += "X: y\r\n";  // 9 000 bytes on the wire
    CHECK_EQUAL(431, error_of(many + "\r\n"));
    CHECK_EQUAL(414, error_of("GET /" + std::string(RequestReader::kMaxTargetBytes, 'a') + " HTTP/1.1\r\n\r\n"));
    CHECK_EQUAL(413, error_of("GET / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"));
    CHECK_EQUAL(413, error_of("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    CHECK_EQUAL(501, error_of("FROB / HTTP/1.1\r\n\r\n"));
    CHECK_EQUAL(505, error_of("GET / HTTP/2.0\r\n\r\n"));
    CHECK_EQUAL(400, error_of(std::string("\x00\x01\x02 x\r\n\r\n", 9)));
    CHECK_EQUAL(400, error_of("GET / HTTP/1.1\r\nno colon\r\n\r\n"));
}

TEST(RequestReader, AnErrorIsFinal) {
    RequestReader r;
    CHECK(feed(r, "GET / HTTP/1.1\r\nno colon\r\n\r\n").status == Status::Error);
    const auto again = feed(r, "GET / HTTP/1.1\r\n\r\n");
    CHECK(again.status == Status::Error);
    CHECK_EQUAL(400, again.error_status);
}

TEST(RequestReader, ExactlyAtTheHeaderLimitIsAccepted) {
    // "GET / HTTP/1.1": the target counts (1 byte); each header counts with its
    // ": " and CRLF. Fill up to the limit exactly, then one byte more.
    const std::size_t budget = RequestReader::kMaxHeaderBytes - 1 - 4;  // "/" and "X" + ": " + CRLF
    RequestReader ok;
    CHECK(feed(ok, "GET / HTTP/1.1\r\nX: " + std::string(budget - 1, 'a') + "\r\n\r\n").status == Status::Done);
    CHECK_EQUAL(431, error_of("GET / HTTP/1.1\r\nX: " + std::string(budget, 'a') + "\r\n\r\n"));
}
