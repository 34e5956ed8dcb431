"""fake_tls.py - HTTPS for the project's fake servers (fake-polymarket.py,
fake-llm.py): tls_wrap(srv, cert, key) makes an http.server serve TLS."""
import ssl
import sys


def tls_wrap(srv, cert, key):
    """Serve HTTPS: the listening socket hands out TLS sockets whose
    handshake runs on first read, in the request's thread, so that a client
    that refuses the certificate neither blocks accept() nor shows up as a
    traceback."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                 do_handshake_on_connect=False)
    plain = srv.handle_error

    def handle_error(request, client_address):
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            plain(request, client_address)
    srv.handle_error = handle_error
