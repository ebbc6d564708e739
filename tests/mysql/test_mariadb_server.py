"""tests/servers.MariaDBServer: the private server scenario tests change settings on and restart."""

from __future__ import annotations

import shutil

import pytest

from servers import MariaDBServer

pytestmark = pytest.mark.skipif(not shutil.which("mariadb-install-db"), reason="MariaDB binaries not installed")


@pytest.fixture(scope="module")
def server():
    with MariaDBServer("max_connections=77", server_id=7, log_bin=True) as srv:
        yield srv


def test_options_server_id_and_binlog_apply(server):
    assert server.sql("SELECT @@max_connections, @@server_id, @@log_bin") == [(77, 7, 1)]
    assert server.url == f"mysql://root@127.0.0.1:{server.port}/mysql"


def test_restart_rereads_the_config_file(server):
    server.add_config("max_connections=55")
    server.restart()
    assert server.sql("SELECT @@max_connections") == [(55,)]
    uptime = server.sql("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'")
    assert int(uptime[0][0]) < 30


def test_stop_removes_its_directory():
    srv = MariaDBServer()
    path = srv.dir
    srv.stop()
    import os
    assert not os.path.exists(path)
