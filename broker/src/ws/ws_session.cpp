// MQTT over WebSockets, server side (see ws_session.hpp).
#include "ws/ws_session.hpp"

#include <http_parser.h>
#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>

#include <algorithm>
#include <cstring>
#include <strings.h>

namespace mote::broker::ws {

namespace {

// The request as far as the upgrade needs it (header names compared without case).
struct Request {
    std::string field;  // the header name being read
    bool in_value = false;
    std::string upgrade, connection, key, version, protocols;
    std::string* value = nullptr;
};

int on_header_field(http_parser* p, const char* at, std::size_t len) {
    auto* r = static_cast<Request*>(p->data);
    if (r->in_value) {
        r->field.clear();
        r->in_value = false;
    }
    r->field.append(at, len);
    return 0;
}

int on_header_value(http_parser* p, const char* at, std::size_t len) {
    auto* r = static_cast<Request*>(p->data);
    if (!r->in_value) {
        r->in_value = true;
        const char* f = r->field.c_str();
        r->value = strcasecmp(f, "Upgrade") == 0                  ? &r->upgrade
                   : strcasecmp(f, "Connection") == 0             ? &r->connection
                   : strcasecmp(f, "Sec-WebSocket-Key") == 0      ? &r->key
                   : strcasecmp(f, "Sec-WebSocket-Version") == 0  ? &r->version
                   : strcasecmp(f, "Sec-WebSocket-Protocol") == 0 ? &r->protocols
                                                                  : nullptr;
        if (r->value != nullptr && !r->value->empty()) {
            r->value->append(",");  // a repeated header is a list (RFC 7230 §3.2.2)
        }
    }
    if (r->value != nullptr) {
        r->value->append(at, len);
    }
    return 0;
}

int on_headers_complete(http_parser* /*p*/) { return 1; }  // no body: stop here

bool list_has(const std::string& list, const char* token) {
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        std::size_t a = start, b = end;
        while (a < b && (list[a] == ' ' || list[a] == '\t')) ++a;
        while (b > a && (list[b - 1] == ' ' || list[b - 1] == '\t')) --b;
        if (b - a == std::strlen(token) && strncasecmp(list.data() + a, token, b - a) == 0) return true;
        start = end + 1;
    }
    return false;
}

}  // namespace

std::string accept_key(const std::string& key) {
    static const char kGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const std::string text = key + kGuid;
    unsigned char digest[20];
    mbedtls_sha1_ret(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    unsigned char out[32];
    std::size_t n = 0;
    mbedtls_base64_encode(out, sizeof out, &n, digest, sizeof digest);
    return std::string(reinterpret_cast<const char*>(out), n);
}

WsSession::WsSession(Sink sink, Deliver deliver, void* user, std::size_t max_message)
    : sink_(sink), deliver_(deliver), user_(user), max_message_(max_message) {}

WsSession::~WsSession() {
    if (ctx_ != nullptr) {
        wslay_event_context_free(ctx_);
    }
}

void WsSession::refuse(const char* status, const std::string& why, const char* extra_headers) {
    failure_ = why;
    const std::string body = why + "\n";
    const std::string response = std::string("HTTP/1.1 ") + status + "\r\nContent-Type: text/plain\r\n" +
                                 extra_headers + "Content-Length: " + std::to_string(body.size()) +
                                 "\r\nConnection: close\r\n\r\n" + body;
    sink_(user_, mqtt::Bytes{reinterpret_cast<const std::uint8_t*>(response.data()), response.size()});
    state_ = State::Closing;
}

// Collects and checks the upgrade request; on success sends 101 and leaves in `in`
// the bytes after the request (the first frames). False while incomplete or after
// a refusal (state_ tells which).
bool WsSession::upgrade(mqtt::Bytes& in) {
    const std::size_t before = request_.size();
    request_.append(in.chars(), std::min(in.size, kMaxRequest + 4 - std::min(before, kMaxRequest + 4)));
    const std::size_t end = request_.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (request_.size() > kMaxRequest) {
            refuse("431 Request Header Fields Too Large", "upgrade request larger than 8192 bytes");
        } else {
            in = mqtt::Bytes{};
        }
        return false;
    }
    const std::size_t header_size = end + 4;
    if (header_size > kMaxRequest) {
        refuse("431 Request Header Fields Too Large", "upgrade request larger than 8192 bytes");
        return false;
    }
    in = in.from(header_size - before);  // what follows the request: frames
    Request req;
    http_parser parser;
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = &req;
    http_parser_settings settings;
    http_parser_settings_init(&settings);
    settings.on_header_field = on_header_field;
    settings.on_header_value = on_header_value;
    settings.on_headers_complete = on_headers_complete;
    http_parser_execute(&parser, &settings, request_.data(), header_size);
    const auto err = static_cast<http_errno>(parser.http_errno);
    if (err != HPE_OK && err != HPE_CB_headers_complete) {
        refuse("400 Bad Request", std::string("malformed HTTP request: ") + http_errno_description(err));
        return false;
    }
    if (parser.method != HTTP_GET) {
        refuse("405 Method Not Allowed", "only GET can upgrade to a WebSocket", "Allow: GET\r\n");
        return false;
    }
    if (!list_has(req.upgrade, "websocket") || !list_has(req.connection, "upgrade")) {
        refuse("400 Bad Request", "not a WebSocket upgrade request (Upgrade: websocket missing)");
        return false;
    }
    if (req.version != "13") {
        refuse("426 Upgrade Required", "unsupported Sec-WebSocket-Version '" + req.version + "'",
               "Sec-WebSocket-Version: 13\r\n");
        return false;
    }
    unsigned char raw[32];
    std::size_t raw_len = 0;
    if (mbedtls_base64_decode(raw, sizeof raw, &raw_len, reinterpret_cast<const unsigned char*>(req.key.data()),
                              req.key.size()) != 0 ||
        raw_len != 16) {
        refuse("400 Bad Request", "Sec-WebSocket-Key is not 16 bytes in base64");
        return false;
    }
    // [MQTT-6.0.0-3]/[MQTT-6.0.0-4]: the subprotocol is "mqtt" (mosquitto also
    // accepts "mqttv3.1" for MQTT 3.1 clients). A request without the header is
    // accepted as "mqtt" (docs/websockets.md); any other list is refused.
    if (req.protocols.empty() || list_has(req.protocols, "mqtt")) {
        subprotocol_ = "mqtt";
    } else if (list_has(req.protocols, "mqttv3.1")) {
        subprotocol_ = "mqttv3.1";
    } else {
        refuse("400 Bad Request", "no supported WebSocket subprotocol in '" + req.protocols +
                                      "' (mqtt or mqttv3.1)");
        return false;
    }
    std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: " + accept_key(req.key) + "\r\n";
    if (!req.protocols.empty()) {
        response += "Sec-WebSocket-Protocol: " + subprotocol_ + "\r\n";
    }
    response += "\r\n";
    sink_(user_, mqtt::Bytes{reinterpret_cast<const std::uint8_t*>(response.data()), response.size()});
    std::string().swap(request_);
    static const wslay_event_callbacks kCallbacks = {&WsSession::on_recv, &WsSession::on_send, nullptr,
                                                     nullptr, nullptr, nullptr, &WsSession::on_message};
    if (wslay_event_context_server_init(&ctx_, &kCallbacks, this) != 0) {
        failure_ = "out of memory";
        state_ = State::Failed;
        return false;
    }
    wslay_event_config_set_max_recv_msg_length(ctx_, max_message_);
    state_ = State::Open;
    return true;
}

WsSession::State WsSession::feed(mqtt::Bytes in) {
    if (state_ == State::Upgrading && !upgrade(in)) {
        return state_;
    }
    if (state_ != State::Open || in.empty()) {
        return state_;
    }
    view_ = in;
    view_used_ = 0;
    pump_frames();
    view_ = mqtt::Bytes{};
    return state_;
}

void WsSession::pump_frames() {
    const int r = wslay_event_recv(ctx_);
    // Pongs, the answer to a close, and the 1002/1009 close wslay queues for a
    // protocol violation (unmasked or fragmented control frame, oversized message).
    wslay_event_send(ctx_);
    if (r != 0) {
        failure_ = "WebSocket receive failed";
        state_ = State::Failed;
        return;
    }
    if (!wslay_event_want_read(ctx_) && state_ == State::Open) {
        const std::uint16_t code = wslay_event_get_status_code_sent(ctx_);
        failure_ = wslay_event_get_close_received(ctx_) != 0
                       ? "close frame from the client"
                       : "WebSocket protocol violation (close " + std::to_string(code) + ")";
        state_ = State::Closing;
    }
}

ssize_t WsSession::on_recv(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, int /*flags*/, void* self) {
    auto* s = static_cast<WsSession*>(self);
    if (s->view_used_ >= s->view_.size) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    const std::size_t n = std::min(len, s->view_.size - s->view_used_);
    std::memcpy(buf, s->view_.data + s->view_used_, n);
    s->view_used_ += n;
    return static_cast<ssize_t>(n);
}

ssize_t WsSession::on_send(wslay_event_context_ptr, const uint8_t* data, size_t len, int /*flags*/, void* self) {
    auto* s = static_cast<WsSession*>(self);
    s->sink_(s->user_, mqtt::Bytes{data, len});
    return static_cast<ssize_t>(len);
}

void WsSession::on_message(wslay_event_context_ptr ctx, const wslay_event_on_msg_recv_arg* arg, void* self) {
    auto* s = static_cast<WsSession*>(self);
    if (arg->opcode == WSLAY_BINARY_FRAME) {
        if (s->state_ == State::Open) {
            s->deliver_(s->user_, mqtt::Bytes{arg->msg, arg->msg_length});
        }
    } else if (arg->opcode == WSLAY_TEXT_FRAME) {
        // [MQTT-6.0.0-1]: MQTT travels in binary frames; anything else closes.
        wslay_event_queue_close(ctx, WSLAY_CODE_UNSUPPORTED_DATA, nullptr, 0);
        wslay_event_shutdown_read(ctx);
    }
}

void WsSession::write_binary_header(std::size_t n) {
    std::uint8_t h[10];
    std::size_t len = 0;
    h[len++] = 0x82;  // FIN, binary
    if (n < 126) {
        h[len++] = static_cast<std::uint8_t>(n);
    } else if (n <= 0xFFFF) {
        h[len++] = 126;
        h[len++] = static_cast<std::uint8_t>(n >> 8);
        h[len++] = static_cast<std::uint8_t>(n);
    } else {
        h[len++] = 127;
        for (int shift = 56; shift >= 0; shift -= 8) {
            h[len++] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(n) >> shift);
        }
    }
    sink_(user_, mqtt::Bytes{h, len});
}

bool WsSession::close(std::uint16_t code) {
    if (ctx_ == nullptr || state_ == State::Failed || wslay_event_get_close_sent(ctx_) != 0) {
        return false;
    }
    wslay_event_queue_close(ctx_, code, nullptr, 0);
    wslay_event_send(ctx_);
    state_ = State::Closing;
    return wslay_event_get_close_received(ctx_) == 0;
}

bool WsSession::drain(mqtt::Bytes in) {
    if (ctx_ == nullptr) {
        return true;
    }
    view_ = in;
    view_used_ = 0;
    const int r = wslay_event_recv(ctx_);  // data messages are ignored by the caller now
    view_ = mqtt::Bytes{};
    return r != 0 || wslay_event_get_close_received(ctx_) != 0 || wslay_event_get_read_enabled(ctx_) == 0;
}

}  // namespace mote::broker::ws
