"""Raw MQTT over TCP for the interop and hostile-input tests: exact bytes out, exact
bytes back. Deliberately independent of Mote's codec."""

import socket
import time

HOST = "127.0.0.1"

# The valid CONNECTs of HOSTILE_INPUTS.md (client id "p", Clean Start, keepalive 10).
C5 = bytes.fromhex("10 0E 00 04 4D 51 54 54 05 02 00 0A 00 00 01 70")
C4 = bytes.fromhex("10 0D 00 04 4D 51 54 54 04 02 00 0A 00 01 70")

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = (
    8, 9, 10, 11, 12, 13, 14, 15)


def h(text):
    """bytes from hex with blanks: h('E0 01 81')."""
    return bytes.fromhex(text)


def vbi(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def s(text):
    """An MQTT UTF-8 string (2-byte length + bytes)."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    return len(data).to_bytes(2, "big") + data


def pkt(first_byte, body):
    return bytes([first_byte]) + vbi(len(body)) + body


def props(*items):
    """v5 properties: items are already encoded (id + value); adds the length."""
    body = b"".join(items)
    return vbi(len(body)) + body


def connect(version, client_id="p", clean=True, keepalive=10, properties=b"",
            will=None, username=None, password=None):
    """CONNECT for version 4 (3.1.1) or 5. will = (topic, payload, qos, retain[, props])."""
    flags = 0x02 if clean else 0
    payload = s(client_id)
    if will is not None:
        topic, message, qos, retain = will[:4]
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        if version == 5:
            payload += will[4] if len(will) > 4 else b"\x00"
        payload += s(topic) + s(message)
    if username is not None:
        flags |= 0x80
        payload += s(username)
    if password is not None:
        flags |= 0x40
        payload += s(password)
    var = s("MQTT") + bytes([version, flags]) + keepalive.to_bytes(2, "big")
    if version == 5:
        var += vbi(len(properties)) + properties if properties else b"\x00"
    return pkt(0x10, var + payload)


def subscribe(version, pid, topic, options=0):
    var = pid.to_bytes(2, "big") + (b"\x00" if version == 5 else b"")
    return pkt(0x82, var + s(topic) + bytes([options]))


def publish(version, topic, payload, qos=0, pid=None, retain=False, dup=False, properties=b""):
    first = 0x30 | (qos << 1) | (1 if retain else 0) | (0x08 if dup else 0)
    var = s(topic)
    if qos:
        var += pid.to_bytes(2, "big")
    if version == 5:
        var += vbi(len(properties)) + properties if properties else b"\x00"
    return pkt(first, var + payload)


def decode_vbi(data, pos):
    """(value, next position) or None if incomplete/invalid."""
    value, mult = 0, 1
    for i in range(4):
        if pos + i >= len(data):
            return None
        b = data[pos + i]
        value += (b & 0x7F) * mult
        if not b & 0x80:
            return value, pos + i + 1
        mult *= 128
    return None


def split_packets(data):
    """Splits bytes into [(first_byte, body)]; raises ValueError on a partial tail."""
    out, pos = [], 0
    while pos < len(data):
        r = decode_vbi(data, pos + 1)
        if r is None:
            raise ValueError("partial or bad fixed header at %d in %s" % (pos, data.hex(" ")))
        length, start = r
        if start + length > len(data):
            raise ValueError("partial packet at %d in %s" % (pos, data.hex(" ")))
        out.append((data[pos], data[start:start + length]))
        pos = start + length
    return out


def publish_fields(version, first_byte, body):
    """(topic, payload, qos, retain, pid, properties bytes) of a PUBLISH."""
    qos = (first_byte >> 1) & 3
    tlen = int.from_bytes(body[0:2], "big")
    topic = body[2:2 + tlen].decode("utf-8", "replace")
    pos = 2 + tlen
    pid = None
    if qos:
        pid = int.from_bytes(body[pos:pos + 2], "big")
        pos += 2
    prop = b""
    if version == 5:
        plen, pos2 = decode_vbi(body, pos)
        prop = body[pos2:pos2 + plen]
        pos = pos2 + plen
    return topic, body[pos:], qos, bool(first_byte & 1), pid, prop


class Closed(AssertionError):
    """The broker closed the connection (an AssertionError: tests fail, not error)."""

    def __init__(self, msg="connection closed by the broker"):
        super().__init__(msg)


class RawClient:
    """One TCP connection. recv_packet() returns (first_byte, body)."""

    def __init__(self, port, timeout=2.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def send_ignoring_reset(self, data):
        """Sends what the peer lets us; a broker closing mid-stream is allowed."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out waiting for the broker")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            raise Closed()
        self.buf += data

    def recv_packet(self, timeout=2.0):
        """The next packet, or raises Closed / socket.timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 2:
                r = decode_vbi(self.buf, 1)
                if r is not None:
                    length, start = r
                    if len(self.buf) >= start + length:
                        first, body = self.buf[0], self.buf[start:start + length]
                        self.buf = self.buf[start + length:]
                        return first, body
            self._fill(deadline)

    def read_until_close(self, timeout=1.0):
        """(bytes received, closed?) within timeout. closed is False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._fill(deadline)
            except Closed:
                data, self.buf = self.buf, b""
                return data, True
            except (socket.timeout, TimeoutError):
                data, self.buf = self.buf, b""
                return data, False
            except OSError:
                data, self.buf = self.buf, b""
                return data, True

    def expect_silence(self, timeout=0.3):
        """True if nothing arrives and the connection stays open for `timeout`."""
        data, closed = self.read_until_close(timeout)
        return data == b"" and not closed

    def handshake(self, connect_bytes, timeout=2.0):
        """Sends a CONNECT and returns the CONNACK (first_byte, body)."""
        self.send(connect_bytes)
        return self.recv_packet(timeout)

    def connect_ok(self, version, **kw):
        """CONNECT and require a successful CONNACK; returns the CONNACK body."""
        first, body = self.handshake(connect(version, **kw))
        if first != 0x20:
            raise AssertionError("expected CONNACK, got %02x %s" % (first, body.hex(" ")))
        if body[1] != 0:
            raise AssertionError("CONNACK refused: %s" % body.hex(" "))
        return body


def connack_properties(body):
    """CONNACK v5 properties as {id: raw value bytes} (last wins; enough for tests)."""
    plen, pos = decode_vbi(body, 2)
    end = pos + plen
    out = {}
    sizes = {0x11: 4, 0x21: 2, 0x22: 2, 0x24: 1, 0x25: 1, 0x27: 4, 0x28: 1, 0x29: 1, 0x2A: 1,
             0x13: 2}
    while pos < end:
        pid = body[pos]
        pos += 1
        if pid in sizes:
            out[pid] = body[pos:pos + sizes[pid]]
            pos += sizes[pid]
        elif pid in (0x12, 0x1A, 0x1C, 0x1F, 0x15, 0x16):
            n = int.from_bytes(body[pos:pos + 2], "big")
            out[pid] = body[pos + 2:pos + 2 + n]
            pos += 2 + n
        elif pid == 0x26:
            n = int.from_bytes(body[pos:pos + 2], "big")
            pos += 2 + n
            m = int.from_bytes(body[pos:pos + 2], "big")
            pos += 2 + m
        else:
            raise ValueError("unknown CONNACK property %02x" % pid)
    return out
