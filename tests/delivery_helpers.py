"""Broken channels and a broken network on loopback, for the delivery tests.

- `garbage_robot`: a raw TCP server that answers every request with bytes that are not HTTP
  (http.client raises BadStatusLine), as a misconfigured proxy or a non-HTTP port does.
- `hanging_robot`: a raw TCP server that accepts and reads the request and never answers
  until the test releases it, counting the connections it holds.
- `CommitDroppingProxy`: a TCP proxy in front of PostgreSQL that, once armed, forwards the
  COMMIT of a transaction that sent a given statement, waits for the server's CommandComplete
  (so the commit did happen) and then closes the client's connection instead of passing it on.
  It reads the wire protocol in clear, so the proxied URL must say sslmode=disable.
"""
import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest

COMMIT_QUERY = b"Q\x00\x00\x00\x0bCOMMIT\x00"  # a simple-protocol Query message "COMMIT"
COMMIT_DONE = b"C\x00\x00\x00\x0bCOMMIT\x00"  # the server's CommandComplete for it




class RawServer:
    """A TCP server on 127.0.0.1 running `handle(connection)` in a thread per connection."""

    def __init__(self, handle):
        self.handle = handle
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.stopped = threading.Event()
        self.connections = 0
        self.open = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def port(self):
        """The port it listens on."""
        return self.listener.getsockname()[1]

    def _serve(self):
        """Accept until stopped."""
        while not self.stopped.is_set():
            try:
                connection, _address = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._one, args=(connection,), daemon=True).start()

    def _one(self, connection):
        """Count the connection while its handler holds it."""
        with self.lock:
            self.connections += 1
            self.open += 1
        try:
            with connection:
                self.handle(connection)
        except OSError:
            pass
        finally:
            with self.lock:
                self.open -= 1

    def stop(self):
        """Stop accepting and close the listener."""
        self.stopped.set()
        self.thread.join(5)
        self.listener.close()


def read_request(connection):
    """Read an HTTP request's head (the body is small and not needed)."""
    connection.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture
def garbage_robot():
    """A robot address whose server answers with bytes that are not HTTP."""

    def handle(connection):
        """Read the request, answer nonsense, hang up."""
        read_request(connection)
        connection.sendall(b"SSH-2.0-OpenSSH_9.2 this is not HTTP\r\n\r\n")

    server = RawServer(handle)
    yield server
    server.stop()


@pytest.fixture
def hanging_robot():
    """A robot address whose server reads the request and answers nothing until `release` is set."""
    release = threading.Event()

    def handle(connection):
        """Hold the connection open, silent."""
        read_request(connection)
        release.wait(120)

    server = RawServer(handle)
    server.release = release
    yield server
    release.set()
    server.stop()


class CommitDroppingProxy:
    """A loopback TCP proxy to PostgreSQL that can lose the reply to one COMMIT."""

    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.armed_after = None  # bytes a transaction must have sent for its COMMIT's reply to be lost
        self.dropped = 0
        self.lock = threading.Lock()
        self.server = RawServer(self._proxy)

    @property
    def port(self):
        """The port clients connect to."""
        return self.server.port

    def url(self, database_url):
        """`database_url` pointing at the proxy, in clear (sslmode=disable)."""
        parts = urlsplit(database_url)
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{self.port}"
        query = "&".join(filter(None, [parts.query, "sslmode=disable"]))
        return urlunsplit((parts.scheme, f"{netloc[0]}@{host}" if len(netloc) == 2 else host, parts.path, query, ""))

    def arm(self, after_statement):
        """Lose the reply to the next COMMIT of a transaction that sent `after_statement` (bytes)."""
        with self.lock:
            self.armed_after = after_statement

    def _proxy(self, client):
        """Pump both ways; on the armed COMMIT, let the server commit and hang up on the client."""
        upstream = socket.create_connection(self.upstream, timeout=30)
        state = {"seen": b"", "drop": False, "done": threading.Event()}
        client.settimeout(None)

        def to_server():
            """Client to server, watching for the armed statement and then its COMMIT."""
            try:
                while not state["done"].is_set():
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    with self.lock:
                        armed = self.armed_after
                        state["seen"] = (state["seen"] + chunk)[-(1 << 20):]
                        if armed and armed in state["seen"] and COMMIT_QUERY in chunk:
                            state["drop"], self.armed_after = True, None
                        elif COMMIT_QUERY in chunk or b"ROLLBACK" in chunk:
                            state["seen"] = b""
                    upstream.sendall(chunk)
            except OSError:
                pass
            finally:
                state["done"].set()

        pump = threading.Thread(target=to_server, daemon=True)
        pump.start()
        try:
            while not state["done"].is_set():
                reply = upstream.recv(65536)
                if not reply:
                    break
                if state["drop"] and COMMIT_DONE in reply:
                    with self.lock:
                        self.dropped += 1
                    break  # committed on the server; the client never hears so
                client.sendall(reply)
        except OSError:
            pass
        finally:
            state["done"].set()
            for sock in (client, upstream):
                with contextlib.suppress(OSError):  # already closed by the other side
                    sock.shutdown(socket.SHUT_RDWR)
            upstream.close()
            pump.join(5)

    def stop(self):
        """Stop accepting."""
        self.server.stop()
