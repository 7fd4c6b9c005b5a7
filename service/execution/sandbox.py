"""A process that can open no network socket: what runs clients' SPARQL and `dakg validate`.

The federation guard (federation.py) refuses SERVICE and LOAD before a query runs; this makes a
mistake in it harmless. A seccomp filter, installed once in the process and inherited by every
thread and child it starts, answers EACCES to any new IPv4, IPv6 or packet socket, and to io_uring
(which could open one without the socket call). Unix sockets and pipes, which the query workers
talk over, are untouched, as are sockets opened before the filter. Linux on x86-64 and AArch64;
elsewhere `deny_network` says it could not, and the caller decides. `die_with_parent` ends a
worker whose parent has gone.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct
import sys
import threading
import time

from dakg.errors import Unavailable

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EACCES = 13
AF_INET, AF_INET6, AF_PACKET = 2, 10, 17
X32_SYSCALL_BIT = 0x40000000

# (audit architecture, socket, io_uring_setup) for each machine the filter knows.
ARCHITECTURES = {
    "x86_64": (0xC000003E, 41, 425),
    "aarch64": (0xC00000B7, 198, 425),
}

# Classic BPF: the opcodes the filter uses.
LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
RET_K = 0x06  # BPF_RET | BPF_K
# Offsets in struct seccomp_data: nr, arch, then args[6] as 64-bit values.
NR, ARCH, ARG0 = 0, 4, 16


class SandboxUnavailable(Unavailable):
    """This platform cannot take the filter (not Linux, or an architecture it does not know)."""


def instruction(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def network_filter(arch: str) -> bytes:
    """The filter's program for one architecture."""
    audit, socket_nr, io_uring_nr = ARCHITECTURES[arch]
    deny = SECCOMP_RET_ERRNO | EACCES
    program = [
        instruction(LD_W_ABS, 0, 0, ARCH),
        instruction(JEQ_K, 1, 0, audit),  # another ABI (a 32-bit call): deny it all
        instruction(RET_K, 0, 0, deny),
        instruction(LD_W_ABS, 0, 0, NR),
        instruction(JGE_K, 7, 0, X32_SYSCALL_BIT),  # x32 calls: deny
        instruction(JEQ_K, 6, 0, io_uring_nr),
        instruction(JEQ_K, 0, 4, socket_nr),
        instruction(LD_W_ABS, 0, 0, ARG0),  # the address family (low 32 bits)
        instruction(JEQ_K, 3, 0, AF_INET),
        instruction(JEQ_K, 2, 0, AF_INET6),
        instruction(JEQ_K, 1, 0, AF_PACKET),
        instruction(RET_K, 0, 0, SECCOMP_RET_ALLOW),
        instruction(RET_K, 0, 0, deny),
    ]
    return b"".join(program)


def deny_network() -> None:
    """Install the filter in this process (and so in all it starts from now on); for good."""
    arch = platform.machine().lower()
    if not sys.platform.startswith("linux") or arch not in ARCHITECTURES:
        raise SandboxUnavailable(f"no network sandbox on {sys.platform} {arch}")
    program = network_filter(arch)
    count = len(program) // 8
    buffer = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(count, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [
        ctypes.c_int,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_ulong,
    ]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxUnavailable(f"prctl(NO_NEW_PRIVS) failed: errno {ctypes.get_errno()}")
    pointer = ctypes.cast(ctypes.pointer(fprog), ctypes.c_void_p).value or 0
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, pointer, 0, 0) != 0:
        raise SandboxUnavailable(f"seccomp filter refused: errno {ctypes.get_errno()}")


def die_with_parent(interval: float = 0.5) -> None:
    """End this process as soon as its parent is gone (a query worker must not run on, unlimited,
    after the HTTP worker that owned it has died), even while it is busy with a query.

    A thread watches the parent's id, since the kernel's parent-death signal follows the thread
    that started the process, and the pool starts workers from more than one thread."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="dakg-parent-watch", daemon=True).start()
