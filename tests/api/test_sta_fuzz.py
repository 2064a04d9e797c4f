"""Generated SensorThings requests: any path or option the parser meets answers 2xx, 400 or 404, never 5xx."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sensorthings import STA, client, ws_root  # noqa: F401 (fixtures)

from liuyu.api.sta_entities import ENTITY_SETS

NAMES = sorted({*ENTITY_SETS, *(nav for es in ENTITY_SETS.values() for nav in es.relations)})
PROPS = ["name", "description", "properties", "code", "result", "phenomenonTime", "time", "id", "x"]
KEYS = ["", "(1)", "(2)", "(999)", "('lab')", "('codmn')", "(x)", "('a''b')", "()"]
segment = st.one_of(
    st.builds(lambda n, k: n + k, st.sampled_from(NAMES), st.sampled_from(KEYS)),
    st.sampled_from([*PROPS, "$ref", "$value", "$count", "%20", "a b"]),
)
path = st.lists(segment, min_size=1, max_size=4).map("/".join)
VALUES = {
    "$top": ["0", "1", "3", "-1", "x", "10001"],
    "$skip": ["0", "2", "x"],
    "$count": ["true", "false", "maybe"],
    "$orderby": ["id desc", "name", "phenomenonTime asc", "result desc,id", "nosuch", ""],
    "$select": ["id", "name,Datastreams", "result", "nosuch", ""],
    "$filter": [
        "id gt 1",
        "name eq 'a'",
        "result ge 1 and result lt 3",
        "(",
        "not",
        "time gt 2024-01-01T00:00:00Z",
    ],
    "$expand": [
        "Datastreams",
        "Datastreams($top=1;$expand=Observations($top=1))",
        "Thing",
        "Locations/Things",
        "((",
    ],
}
options = st.dictionaries(st.sampled_from(sorted(VALUES)), st.just(None), max_size=3).flatmap(
    lambda d: st.fixed_dictionaries({k: st.sampled_from(VALUES[k]) for k in d})
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=not os.environ.get("LIUYU_FUZZ_RANDOM"),  # CI replays; LIUYU_FUZZ_RANDOM=1 explores anew
)
@given(path=path, params=options)
def test_no_server_errors(client, path, params):  # noqa: F811
    r = client.get(f"{STA}/{path}", params=params)
    assert r.status_code in (200, 204, 400, 404), (path, params, r.text)
    if r.status_code >= 400:
        body = r.json()
        assert body.get("status") == r.status_code and body["message"], (path, params, body)
