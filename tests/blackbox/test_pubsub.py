"""31. Pub/sub (kiln/pubsub.h) against tests/pubsubapp over real sockets:
publications crossing workers to event streams, WebSockets and long
polls, from handlers and from threads; a slow subscriber's drops counted
and told; two instances sharing one Redis (a private redis-server on
127.0.0.1), Redis killed and restarted under load (the subscriptions come
back, the gap is told); the same with PostgreSQL LISTEN/NOTIFY (a private
server).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import harness
from harness import check, eq, server, t
from pubsubclient import SseStream, stats, wait_stats
from wsclient import OP_TEXT, WsConn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pg_server  # noqa: E402
import redis_server  # noqa: E402

APP = "tests/pubsubapp"


def app(*args, workers=2):
    return server(binary=APP, workers=workers, args=list(args))


def streams_on_both_workers(s, path, want=2, most=16):
    """Opens event streams on path until subscribers sit on both workers
    (SO_REUSEPORT spreads connections); returns them all."""
    out, seen = [], set()
    while len(out) < most:
        st = SseStream(s.port, path)
        seen.add(st.subscribed().split("-")[0])
        out.append(st)
        if len(seen) >= want and len(out) >= 2:
            return out
    raise harness.TestFailure("every stream landed on one worker: %r" % seen)


def publish(s, topic, body=b"", n=None, thread=False):
    q = "" if n is None else "?n=%d" % n
    r = s.request("POST", "/%s/%s%s" % ("pub-thread" if thread else "pub",
                                        topic, q), body=body)
    eq(r.status, 204, "publish %s: %r" % (topic, r.body))


def seq_of(pubs, topic, prefix):
    """The SEQs of "TOPIC PREFIX SEQ" publications."""
    out = []
    for p in pubs:
        tp, _, rest = p.partition(" ")
        if tp == topic and rest.startswith(prefix + " "):
            out.append(int(rest[len(prefix) + 1:]))
    return out


# ---- one process ---------------------------------------------------------------

def test_pubsub_crosses_workers_in_order():
    with app() as s:
        streams = streams_on_both_workers(s, "/sse?topic=news")
        other = SseStream(s.port, "/sse?topic=sport")
        other.subscribed()
        try:
            publish(s, "news", b"handler", n=200)      # from a handler
            publish(s, "news", b"thread", n=200, thread=True)  # a thread
            publish(s, "sport", b"goal")
            for st in streams:
                st.wait(lambda x: len(x.pubs()) >= 400, what="400 publications")
                pubs = st.pubs()
                eq(seq_of(pubs, "news", "handler"), list(range(1, 201)),
                   "the handler's, in order")
                eq(seq_of(pubs, "news", "thread"), list(range(1, 201)),
                   "the thread's, in order")
                eq(len(pubs), 400, "news only, once each")
                eq(st.gaps(), [], "no gap")
            other.wait(lambda x: x.pubs(), what="sport")
            eq(other.pubs(), ["sport goal"], "another topic's subscriber")
            st = stats(s)
            eq(st["backend"], "local", "backend")
            eq(st["subscribers"], len(streams) + 1, "subscribers")
            eq(st["published"], 401, "published")
            eq(st["delivered"], 400 * len(streams) + 1, "delivered")
            eq(st["dropped"], 0, "dropped")
        finally:
            for st in streams + [other]:
                st.close()
        # the streams ended with their clients: nobody is subscribed
        wait_stats(s, lambda x: x["subscribers"] == 0, "no subscriber left")


def test_pubsub_websocket_multiplexes_client_and_topics():
    with app() as s, WsConn(s.port) as ws:
        ws.open("/ws?topic=room")
        op, hello = ws.read_message()
        check(b"subscribed" in hello, hello)
        ws.send_text("echo one")
        eq(ws.read_message(), (OP_TEXT, b"echo one"), "a client message")
        ws.send_text("pub room hi all")  # published by the client...
        got = {ws.read_message()[1] for _ in range(2)}
        eq(got, {b"ok pub", b"pub room hi all"}, "...and received back")
        publish(s, "room", b"from http")
        eq(ws.read_message(), (OP_TEXT, b"pub room from http"), "from HTTP")
        ws.send_text("sub extra")
        eq(ws.read_message(), (OP_TEXT, b"ok sub extra"), "subscribed")
        publish(s, "extra", b"x1")
        eq(ws.read_message(), (OP_TEXT, b"pub extra x1"), "the new topic")
        ws.send_text("unsub extra")
        eq(ws.read_message(), (OP_TEXT, b"ok unsub extra"), "unsubscribed")
        ws.send_text("unsub extra")
        eq(ws.read_message(), (OP_TEXT, b"err unsub extra"), "not subscribed")
        ws.send_text("sub bad topic")
        eq(ws.read_message(), (OP_TEXT, b"err sub bad topic"), "a bad topic")
        publish(s, "extra", b"x2")  # not received...
        publish(s, "room", b"marker")  # ...as this shows
        eq(ws.read_message(), (OP_TEXT, b"pub room marker"), "after unsub")
        # a burst of both sides at once: nothing lost, each side in order
        publish(s, "room", b"burst", n=50)
        for i in range(50):
            ws.send_text("echo %d" % i)
        pubs, echoes = [], []
        while len(pubs) < 50 or len(echoes) < 50:
            m = ws.read_message()[1].decode()
            (pubs if m.startswith("pub ") else echoes).append(m)
        eq(echoes, ["echo %d" % i for i in range(50)], "client messages")
        eq(pubs, ["pub room burst %d" % i for i in range(1, 51)],
           "publications")


def test_pubsub_long_poll():
    with app() as s:
        res = {}

        def poll():
            res["r"] = s.get("/poll/job-7?ms=%d" % int(t(5) * 1000),
                             timeout=t(10))
        th = threading.Thread(target=poll)
        th.start()
        wait_stats(s, lambda x: x["subscribers"] == 1, "the poll waiting")
        publish(s, "job-7", b"done")
        th.join(t(10))
        eq((res["r"].status, res["r"].text()), (200, "job-7 done"), "answered")
        r = s.get("/poll/job-8?ms=200")
        eq(r.status, 204, "nothing within its time")


def test_pubsub_long_poll_ends_on_shutdown():
    """A long poll does not hold the drain: SIGTERM ends its wait."""
    with app() as s:
        res = {}

        def poll():
            res["r"] = s.get("/poll/never?ms=60000", timeout=t(30))
        th = threading.Thread(target=poll)
        th.start()
        wait_stats(s, lambda x: x["subscribers"] == 1, "the poll waiting")
        t0 = time.monotonic()
        rc, err = s.stop()
        took = time.monotonic() - t0
        th.join(t(10))
        eq(rc, 0, "a clean exit: " + err[-800:])
        check(took < t(3), "stopped in %.1f s, not the drain's 10" % took)
        eq(res["r"].status, 503, "the poll was answered")


def test_pubsub_refuses_bad_input():
    with app("--queue", "4") as s:
        r = s.request("POST", "/pub/a%20b", body=b"x")
        eq(r.status, 422, "a topic with a space: %r" % r.body)
        r = s.get("/sse?topic=%s" % ("x" * 201))
        eq(r.status, 422, "a topic too long")
        r = s.request("POST", "/pub/big", body=b"x" * (1024 * 1024 + 1))
        eq(r.status, 413, "past pubsub.max_message")


def test_pubsub_slow_subscriber_drops_counted():
    """A subscriber that reads one publication every 50 ms with a queue of
    8: of 100 published at once it gets a few, and gaps that count the
    rest, in place; the stats and the log say so too."""
    with app("--queue", "8") as s:
        slow = SseStream(s.port, "/sse?topic=flood&slow=50")
        fast = SseStream(s.port, "/sse?topic=flood")
        slow.subscribed()
        fast.subscribed()
        try:
            publish(s, "flood", b"m", n=100)
            fast.wait(lambda x: len(x.pubs()) + sum(x.gaps()) >= 100,
                      what="the fast one's 100")
            slow.wait(lambda x: len(x.pubs()) + sum(x.gaps()) >= 100,
                      timeout=t(20), what="the slow one's 100")
            got = seq_of(slow.pubs(), "flood", "m")
            check(len(got) < 100 and got == sorted(got),
                  "fewer than 100, in order: %r" % got)
            lost = sum(slow.gaps())
            eq(len(got) + lost, 100, "every one received or counted lost")
            check(lost >= 100 - 8 - 2, "most are lost: %d" % lost)
            # each gap sits where the loss was: the numbers jump over it
            i = 0
            prev = 0
            for name, data in slow.events:
                if name == "gap":
                    i += int(data)
                    continue
                n = int(data.split()[-1])
                eq(n, prev + 1 + i, "after %d lost" % i)
                prev, i = n, 0
            st = stats(s)
            eq(st["dropped"], lost, "dropped in the stats")
            eq(st["delivered"], 100 + len(got) + 0, "delivered: %r" % st)
        finally:
            slow.close()
            fast.close()
        rc, err = s.stop()
        check("too slow" in err and "pubsub.queue = 8" in err,
              "logged: " + err[-600:])


# ---- two instances through Redis ------------------------------------------------

class RedisDir:
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="kiln-redis-")
        self.srv = redis_server.Redis(os.path.join(self.dir, "r")).start()
        self.url = self.srv.url
        return self

    def __exit__(self, *exc):
        self.srv.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def remote_ready(s, n=1):
    return wait_stats(s, lambda x: x["connected"] and x["subscriptions"] >= n,
                      "the backend's subscription")


def test_pubsub_two_instances_share_redis():
    with RedisDir() as r, app("--pubsub", "redis", "--url", r.url) as a, \
            app("--pubsub", "redis", "--url", r.url) as b:
        on_b = SseStream(b.port, "/sse?topic=board:1")
        on_a = SseStream(a.port, "/sse?topic=board:1")
        on_b.subscribed()
        on_a.subscribed()
        remote_ready(a)
        remote_ready(b)
        check("kiln:board:1" in r.srv.command("PUBSUB", "CHANNELS"),
              "the channel is CHANNEL:TOPIC")
        try:
            publish(a, "board:1", b"moved", n=50)
            publish(a, "board:1", b"thread", n=20, thread=True)
            for st, where in ((on_b, "B"), (on_a, "A")):
                st.wait(lambda x: len(x.pubs()) >= 70, what="70 on " + where)
                st.quiet(0.3)  # nothing more: A's own come once, not twice
                eq(seq_of(st.pubs(), "board:1", "moved"), list(range(1, 51)),
                   "on %s, in order, once" % where)
                eq(seq_of(st.pubs(), "board:1", "thread"), list(range(1, 21)),
                   "a thread's on %s" % where)
                eq(len(st.pubs()), 70, "nothing else on " + where)
            # the other way, and a message of another program
            publish(b, "board:1", b"back")
            r.srv.command("PUBLISH", "kiln:board:1", "from redis-cli")
            for st in (on_a, on_b):
                st.wait(lambda x: len(x.pubs()) >= 72, what="B's and redis-cli's")
                eq(st.pubs()[70:], ["board:1 back", "board:1 from redis-cli"],
                   "both, as published")
            eq((stats(a)["published"], stats(a)["received"]), (70, 2),
               "A: published, received (its own not counted)")
            eq(stats(b)["received"], 71, "B received A's and redis-cli's")
        finally:
            on_a.close()
            on_b.close()
        # no subscriber left: the instances unsubscribe from Redis
        deadline = time.monotonic() + t(5)
        while "kiln:board:1" in r.srv.command("PUBSUB", "CHANNELS"):
            check(time.monotonic() < deadline, "still subscribed in Redis")
            time.sleep(0.05)


def test_pubsub_redis_with_a_password():
    """AUTH first on both connections; a wrong password is said once and
    retried, never taken for a working subscription."""
    d = tempfile.mkdtemp(prefix="kiln-redis-")
    srv = redis_server.Redis(os.path.join(d, "r"),
                             args=["--requirepass", "s3cret"]).start()
    try:
        good = "redis://:s3cret@127.0.0.1:%d" % srv.port
        bad = "redis://:wrong@127.0.0.1:%d" % srv.port
        with app("--pubsub", "redis", "--url", good) as s, \
                app("--pubsub", "redis", "--url", bad) as b:
            on = SseStream(s.port, "/sse?topic=locked")
            on.subscribed()
            remote_ready(s)
            out = subprocess.run(["redis-cli", "-p", str(srv.port), "-a",
                                  "s3cret", "--no-auth-warning", "PUBLISH",
                                  "kiln:locked", "through AUTH"],
                                 stdout=subprocess.PIPE, timeout=10)
            eq(out.stdout.strip(), b"1", "one subscriber in Redis")
            on.wait(lambda x: x.pubs(), what="the publication")
            eq(on.pubs(), ["locked through AUTH"], "received")
            on.close()
            on_b = SseStream(b.port, "/sse?topic=locked")
            on_b.subscribed()
            time.sleep(0.5)
            eq(stats(b)["connected"], False, "a refused AUTH is not connected")
            on_b.close()
            _, err = b.stop()
            check("AUTH refused" in err and err.count("AUTH refused") == 1,
                  "said once: " + err[-600:])
    finally:
        srv.close()
        shutil.rmtree(d, ignore_errors=True)


def test_pubsub_redis_restart_under_load():
    """Redis killed and started again while A publishes every 5 ms: B's
    subscriber is told of the gap once B subscribed again, then gets what
    follows; what A published meanwhile is counted as lost."""
    with RedisDir() as r, app("--pubsub", "redis", "--url", r.url) as a, \
            app("--pubsub", "redis", "--url", r.url) as b:
        on_b = SseStream(b.port, "/sse?topic=load")
        on_b.subscribed()
        remote_ready(b)
        stop = threading.Event()
        sent = []

        def load():
            i = 0
            while not stop.is_set():
                i += 1
                res = a.request("POST", "/pub/load", body=b"n %d" % i)
                eq(res.status, 204, "publish while Redis restarts")
                sent.append(i)
                time.sleep(0.005)
        th = threading.Thread(target=load)
        th.start()
        try:
            on_b.wait(lambda x: len(x.pubs()) >= 20, what="the load arriving")
            r.srv.stop()
            time.sleep(0.5)
            r.srv.start()
            on_b.wait(lambda x: x.gaps(), timeout=t(15), what="the gap")
            n_gap = len(on_b.events)
            on_b.wait(lambda x: len(x.events) >= n_gap + 20,
                      what="publications after the gap")
        finally:
            stop.set()
            th.join(t(10))
        eq(on_b.gaps(), [0], "one gap, its size unknown")
        got = seq_of(on_b.pubs(), "load", "n")
        eq(got, sorted(got), "in order around the gap")
        check(len(got) < len(sent), "some were lost during the restart")
        after = [int(d.split()[-1]) for nm, d in on_b.events[n_gap:]
                 if nm == "pub"]
        check(after == list(range(after[0], after[0] + len(after))),
              "none lost after the gap: %r" % after[:10])
        sb, sa = stats(b), stats(a)
        check(sb["reconnects"] >= 1 and sb["connected"], "B: %r" % sb)
        check(sa["backend_lost"] >= 1, "A counted its lost ones: %r" % sa)
        on_b.close()
        _, err = b.stop()
        check("lost the subscription connection to Redis" in err and
              "subscribed again to 1 topic" in err, "B's log: " + err[-800:])
test_pubsub_redis_restart_under_load.timeout = 60


# ---- PostgreSQL LISTEN/NOTIFY -------------------------------------------------

class PG:
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="kiln-pg-")
        self.folder = os.path.join(self.dir, "pg")
        self.url = pg_server.start(self.folder)
        return self

    def __exit__(self, *exc):
        pg_server.stop(self.folder)
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def test_pubsub_postgres_two_instances_and_restart():
    with PG() as pg, app("--pubsub", "postgres", "--url", pg.url) as a, \
            app("--pubsub", "postgres", "--url", pg.url) as b:
        on_b = SseStream(b.port, "/sse?topic=t")
        on_a = SseStream(a.port, "/sse?topic=t")
        on_b.subscribed()
        on_a.subscribed()
        remote_ready(a)
        remote_ready(b)
        publish(a, "t", b"p", n=100)  # one batch of NOTIFYs, or a few
        publish(a, "t", "é ü".encode(), n=1)
        for st in (on_a, on_b):
            st.wait(lambda x: len(x.pubs()) >= 101, what="101")
            st.quiet(0.2)
            eq(seq_of(st.pubs(), "t", "p"), list(range(1, 101)), "in order, once")
            eq(st.pubs()[100], "t é ü 1", "text survives")
        # a trigger's notification: "TOPIC DATA"
        pg_server.psql(pg.url, "SELECT pg_notify('kiln', 't from sql')")
        on_b.wait(lambda x: len(x.pubs()) >= 102, what="the trigger's")
        eq(on_b.pubs()[101], "t from sql", "another program's")
        # NOTIFY carries text under 8000 bytes: refused before anything
        r = a.request("POST", "/pub/t", body=b"x" * 7990)
        eq(r.status, 413, "past NOTIFY's 8000 bytes")
        r = a.request("POST", "/pub/t", body=b"\xff\xfe")
        eq(r.status, 422, "not text")
        # the server restarted: B listens again and says there was a gap
        pg_server.stop_server(pg.folder, mode="immediate")
        time.sleep(0.3)
        pg_server.restart(pg.folder)
        on_b.wait(lambda x: x.gaps(), timeout=t(15), what="the gap")
        wait_stats(a, lambda x: x["connected"] and x["reconnects"] >= 1,
                   "A connected again", timeout=t(15))
        publish(a, "t", b"after", n=3)
        on_b.wait(lambda x: seq_of(x.pubs(), "t", "after") == [1, 2, 3],
                  timeout=t(15), what="after the restart")
        check(stats(b)["reconnects"] >= 1, "counted")
        on_a.close()
        on_b.close()
test_pubsub_postgres_two_instances_and_restart.timeout = 90
