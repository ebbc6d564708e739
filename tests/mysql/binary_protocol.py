"""A test-only client for server-side prepared statements over the binary protocol
(COM_STMT_PREPARE / COM_STMT_EXECUTE / COM_STMT_CLOSE), as JDBC with useServerPrepStmts, Go's
database/sql or sysbench send them: pymysql only sends text queries. It rides on a pymysql
connection (its handshake and packet framing) and speaks only what the tests need: integer
parameters, results read and dropped."""

from __future__ import annotations

import struct

COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_CLOSE = 0x16, 0x17, 0x19
MYSQL_TYPE_LONGLONG = 0x08


def _skip_until_eof(conn) -> None:
    while not conn._read_packet().is_eof_packet():
        pass


def prepare(conn, sql: str) -> tuple[int, int]:
    """The statement id and its number of parameters."""
    conn._execute_command(COM_STMT_PREPARE, sql)
    p = conn._read_packet()
    stmt_id, columns, params = struct.unpack("<xIHH", p.read(9))
    if params:
        _skip_until_eof(conn)     # parameter definitions
    if columns:
        _skip_until_eof(conn)     # column definitions
    return stmt_id, params


def execute(conn, stmt_id: int, *values: int) -> int:
    """Execute with integer parameters; returns the number of rows the server sent."""
    body = struct.pack("<IBI", stmt_id, 0, 1)
    if values:
        body += b"\x00" * ((len(values) + 7) // 8) + b"\x01"          # null bitmap, new params bound
        body += bytes([MYSQL_TYPE_LONGLONG, 0]) * len(values)
        body += b"".join(struct.pack("<q", v) for v in values)
    conn._execute_command(COM_STMT_EXECUTE, body)
    first = conn._read_packet()
    if first.is_ok_packet():
        return 0
    columns = first.read_length_encoded_integer()
    for _ in range(columns):
        conn._read_packet()
    conn._read_packet()   # EOF after the column definitions
    rows = 0
    while not conn._read_packet().is_eof_packet():
        rows += 1
    return rows


def close(conn, stmt_id: int) -> None:
    conn._execute_command(COM_STMT_CLOSE, struct.pack("<I", stmt_id))   # no reply
