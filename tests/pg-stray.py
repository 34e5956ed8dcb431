#!/usr/bin/env python3
"""pg-stray.py LISTEN_DIR SERVER_DIR: a PostgreSQL protocol proxy on the
unix socket LISTEN_DIR/.s.PGSQL.5432 to the server's in SERVER_DIR that
answers a Sync sent after a COMMIT's answer with an error first, as a
server whose statement_timeout fired as the COMMIT ended does (the error
is said when it reads the Sync; the transaction is committed)."""
import os
import socket
import struct
import sys
import threading

listen_dir, server_dir = sys.argv[1], sys.argv[2]
STRAY = (b"SERROR\0VERROR\0C57014\0"
         b"Mcanceling statement due to statement timeout\0\0")


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def serve(cli):
    srv = socket.socket(socket.AF_UNIX)
    srv.connect(os.path.join(server_dir, ".s.PGSQL.5432"))
    lock = threading.Lock()
    state = {"commit": False}

    def close():
        for s in (srv, cli):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def up():
        try:
            n = struct.unpack("!I", recv_exact(cli, 4))[0]
            srv.sendall(struct.pack("!I", n) + recv_exact(cli, n - 4))
            while True:
                t = recv_exact(cli, 1)
                n = struct.unpack("!I", recv_exact(cli, 4))[0]
                body = recv_exact(cli, n - 4)
                if t == b"S":
                    with lock:
                        if state["commit"]:
                            state["commit"] = False
                            cli.sendall(b"E" + struct.pack("!I", len(STRAY) + 4) + STRAY)
                            print("stray", flush=True)
                srv.sendall(t + struct.pack("!I", n) + body)
        except (EOFError, OSError):
            pass
        close()

    def down():
        try:
            while True:
                t = recv_exact(srv, 1)
                n = struct.unpack("!I", recv_exact(srv, 4))[0]
                body = recv_exact(srv, n - 4)
                with lock:
                    if t == b"C":
                        state["commit"] = body == b"COMMIT\0"
                    elif t == b"Z":
                        state["commit"] = False
                    cli.sendall(t + struct.pack("!I", n) + body)
        except (EOFError, OSError):
            pass
        close()

    threading.Thread(target=up, daemon=True).start()
    threading.Thread(target=down, daemon=True).start()


path = os.path.join(listen_dir, ".s.PGSQL.5432")
ls = socket.socket(socket.AF_UNIX)
ls.bind(path)
ls.listen(16)
print("ready", flush=True)
while True:
    c, _ = ls.accept()
    serve(c)
