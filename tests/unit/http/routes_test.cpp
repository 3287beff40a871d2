// http::route(): what each path answers, with the dashboard on and off, and the
// response head it is sent with.
#include "http/routes.hpp"

#include <CppUTest/TestHarness.h>

#include <string>

#include "http/assets.hpp"

using namespace mote::broker::http;

namespace {

Request get(const std::string& path, Method m = Method::Get) {
    Request r;
    r.method = m;
    r.method_name = m == Method::Get ? "GET" : (m == Method::Head ? "HEAD" : "POST");
    r.path = path;
    r.keep_alive = true;
    return r;
}

Site site(bool dashboard) {
    Site s;
    s.dashboard = dashboard;
    s.config_json = dashboard_config_json("", 8080);
    s.metrics = [] { return std::string("m 1\n"); };
    s.shutting_down = [] { return false; };
    return s;
}

}  // namespace

TEST_GROUP(Routes) {};

TEST(Routes, HealthzAndMetrics) {
    Response r = route(get("/healthz"), site(false));
    CHECK_EQUAL(200, r.status);
    STRCMP_EQUAL("ok\n", r.body.c_str());
    r = route(get("/metrics"), site(false));
    CHECK_EQUAL(200, r.status);
    STRCMP_EQUAL("m 1\n", r.body.c_str());
    STRCMP_EQUAL("text/plain; version=0.0.4; charset=utf-8", r.content_type);
}

TEST(Routes, HealthzIs503WhileShuttingDown) {
    Site s = site(false);
    s.shutting_down = [] { return true; };
    CHECK_EQUAL(503, route(get("/healthz"), s).status);
}

TEST(Routes, DashboardFilesOnlyWhenEnabled) {
    for (const char* p : {"/", "/index.html", "/dashboard.js", "/dashboard.css", "/config.json"}) {
        CHECK_EQUAL(404, route(get(p), site(false)).status);
        const Response r = route(get(p), site(true));
        CHECK_EQUAL(200, r.status);
        CHECK(r.static_size > 0 || !r.body.empty());
    }
    CHECK_EQUAL(dashboard_built() ? 200 : 404, route(get("/mqtt.min.js"), site(true)).status);
    CHECK_EQUAL(404, route(get("/dashboard.js/"), site(true)).status);
}

TEST(Routes, ConfigJson) {
    STRCMP_EQUAL("{\"websocket_url\":null,\"websocket_port\":8080,\"default_filter\":\"sensors/#\","
                 "\"metrics_path\":\"/metrics\"}\n",
                 dashboard_config_json("", 8080).c_str());
    STRCMP_EQUAL("{\"websocket_url\":\"ws://gw:9001/mqtt\",\"websocket_port\":null,\"default_filter\":\"sensors/#\","
                 "\"metrics_path\":\"/metrics\"}\n",
                 dashboard_config_json("ws://gw:9001/mqtt", 0).c_str());
}

TEST(Routes, OtherMethodsGet405WithAllow) {
    const Response r = route(get("/metrics", Method::Other), site(true));
    CHECK_EQUAL(405, r.status);
    STRCMP_EQUAL("Allow: GET, HEAD\r\n", r.extra_headers);
}

TEST(Routes, ResponseHead) {
    Response r = error_response(404, "not found: /x");
    STRCMP_EQUAL("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n"
                 "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n"
                 "Connection: keep-alive\r\n\r\n",
                 response_head(r, true).c_str());
    r.close = true;
    CHECK(response_head(r, true).find("Connection: close\r\n") != std::string::npos);
}
