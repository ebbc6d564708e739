"""redis.persistence.none: a warning when keys would be lost, only info on an empty instance."""

import redis


def _persistence(run_cli_json, url):
    code, doc, err = run_cli_json("run", url, "--checks", "redis.persistence.none", "--fail-on", "never")
    assert code == 0, err
    return [f for f in doc["findings"] if f["check"] == "redis.persistence.none"]


def test_empty_instance_is_info_and_keys_make_it_a_warning(redis_server, run_cli_json):
    empty = _persistence(run_cli_json, redis_server.url)
    assert [f["severity"] for f in empty] == ["info"]
    assert "0 keys" not in empty[0]["summary"]
    redis.Redis(port=redis_server.port).mset({f"k{i}": i for i in range(1500)})
    full = _persistence(run_cli_json, redis_server.url)
    assert [f["severity"] for f in full] == ["warning"]
    assert "1,500 keys" in full[0]["summary"]
