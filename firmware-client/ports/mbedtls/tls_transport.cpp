// Compiles the TLS port against the POSIX transport on hosts that have mbedTLS, so
// that the template is checked by every host build (and usable directly).
#include "mote/client/tls_transport.hpp"

#include "mote/client/posix_transport.hpp"

namespace mote::client {

template class TlsTransport<PosixTransport>;

}  // namespace mote::client
