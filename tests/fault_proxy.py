"""A TCP proxy in front of PostgreSQL on loopback that can lose the answer to a COMMIT.

The proxy relays the PostgreSQL wire protocol unchanged (the URL through it needs
`sslmode=disable`, so the stream is readable). Armed, it lets the next COMMIT reach the
server, waits for the server to have done it, and then closes the client's connection
without relaying the answer: the one failure in which the change is saved but the
application is told nothing.
"""
import contextlib
import socket
import struct
import threading
import time
from urllib.parse import urlsplit, urlunsplit


class CommitDroppingProxy:
    """Relay connections to (host, port); `arm()` makes the next COMMIT's answer get lost."""

    def __init__(self, target_host, target_port):
        """Listen on a free loopback port."""
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.armed = threading.Event()
        self.dropped = threading.Event()
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @classmethod
    def for_url(cls, url):
        """A proxy for a PostgreSQL URL, and the same URL through the proxy (sslmode=disable)."""
        parts = urlsplit(url)
        proxy = cls(parts.hostname or "127.0.0.1", parts.port or 5432)
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{proxy.port}"
        netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
        query = "&".join(filter(None, [parts.query, "sslmode=disable", "gssencmode=disable"]))
        return proxy, urlunsplit((parts.scheme, netloc, parts.path, query, ""))

    def arm(self):
        """Lose the answer to the next COMMIT that passes."""
        self.dropped.clear()
        self.armed.set()

    def close(self):
        """Stop accepting connections."""
        self.running = False
        self.listener.close()

    def _accept(self):
        """Accept client connections until closed."""
        while self.running:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            mute = threading.Event()  # set: the server's answers no longer reach the client
            threading.Thread(target=self._client_to_server, args=(client, server, mute), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, mute), daemon=True).start()

    @staticmethod
    def _pump(source, sink, mute):
        """Relay bytes one way until either side closes (dropping them once muted)."""
        try:
            while chunk := source.recv(65536):
                if not mute.is_set():
                    sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def _client_to_server(self, client, server, mute):
        """Relay the client's messages, watching for a simple-query COMMIT when armed."""
        try:
            while True:  # untyped packets: a GSSENC or SSL request (answered "N"), then the startup message
                length = struct.unpack("!I", self._read(client, 4))[0]
                body = self._read(client, length - 4)
                server.sendall(struct.pack("!I", length) + body)
                if length != 8 or struct.unpack("!I", body[:4])[0] not in (80877103, 80877104):
                    break
            while True:
                kind = self._read(client, 1)
                length = struct.unpack("!I", self._read(client, 4))[0]
                body = self._read(client, length - 4)
                losing = kind == b"Q" and body.lstrip().upper().startswith(b"COMMIT") and self.armed.is_set()
                if losing:
                    mute.set()
                server.sendall(kind + struct.pack("!I", length) + body)
                if losing:
                    self.armed.clear()
                    time.sleep(0.5)  # the server commits; its answer is then lost with the connection
                    client.shutdown(socket.SHUT_RDWR)
                    client.close()
                    server.close()
                    self.dropped.set()
                    return
        except (OSError, ConnectionError):
            pass
        finally:
            for end in (client, server):
                with contextlib.suppress(OSError):
                    end.close()

    @staticmethod
    def _read(sock, count):
        """Exactly `count` bytes, or ConnectionError when the peer closed."""
        data = b""
        while len(data) < count:
            chunk = sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data
