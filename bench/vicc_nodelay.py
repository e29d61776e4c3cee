"""sitecustomize for the peer comparison's second run: gives vsmartcard's vicc the socket settings
cardforge's emulator uses (TCP_NODELAY, TCP_QUICKACK re-armed after every read), so that the
comparison separates Python's own cost from the ~40 ms Nagle / delayed-ACK stall that Debian 12's
vpcd causes to a card without them. Loaded only through PYTHONPATH by scripts/bench.sh."""
import socket

_connect = socket.socket.connect
_recv = socket.socket.recv


def _quickack(sock):
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    except (OSError, AttributeError):
        pass


def connect(self, address):
    result = _connect(self, address)
    if self.type == socket.SOCK_STREAM and self.family in (socket.AF_INET, socket.AF_INET6):
        self.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _quickack(self)
    return result


def recv(self, *args):
    data = _recv(self, *args)
    if self.type == socket.SOCK_STREAM and self.family in (socket.AF_INET, socket.AF_INET6):
        _quickack(self)
    return data


socket.socket.connect = connect
socket.socket.recv = recv
