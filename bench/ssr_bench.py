#!/usr/bin/env python3
"""bench/ssr_bench.py - server-side rendering of the same React component
(a list of 50 rows) three ways:

  kiln      an app whose handler renders it through Kiln's SSR sidecar
            (share/ssr/server.mjs over a Unix socket);
  node      a bare Node `http` server calling renderToString itself (the
            limit: what Node alone does);
  process   a new Node process per render (what DjangoKit did).

    python3 bench/ssr_bench.py [--build build] [--seconds 5] [--conns 32]

`kiln` and `node` are loaded by wrk (2 threads, --conns connections) and
report requests per second and the 99th percentile latency; `process`
runs renders two at a time (the machine's cores) for --seconds. Prints
the ratios the issue sets targets for (kiln at least 0.8x node, at least
50x process) and the sidecar's resident memory once idle. Needs
`npm ci` in share/ssr and wrk.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SSR_DIR = os.path.join(REPO, "share", "ssr")
APP = os.path.join(REPO, "tests", "blackbox", "apps", "ssr")

LIST = """\
// The benchmark's component: a table of n rows (50).
import { createElement as h } from "react";

export default function List({ n = 50 }) {
  const rows = [];
  for (let i = 0; i < n; i++)
    rows.push(h("tr", { key: i }, h("td", null, i),
                h("td", null, `Row ${i}`), h("td", null, i % 3 ? "open" : "done")));
  return h("table", { className: "rows" }, h("tbody", null, rows));
}
"""

NODE_SERVER = """\
import http from "node:http";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import List from "./components/List.mjs";

http.createServer((req, res) => {
  const html = renderToString(createElement(List, { n: 50 }));
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
  res.end('<div data-render="server">' + html + "</div>");
}).listen(Number(process.argv[2]), "127.0.0.1");
"""

ONCE = """\
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import List from "./components/List.mjs";

process.stdout.write(renderToString(createElement(List, { n: 50 })));
"""


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_up(url, limit=15, log=None):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                body = r.read()
                if b'data-render="server"' in body:
                    return body
        except OSError:
            pass
        time.sleep(0.1)
    if log:
        with open(log, errors="replace") as f:
            sys.stderr.write(f.read()[-3000:])
    sys.exit("not up (or not rendering on the server): " + url)


# counts the answers rendered on the client (the sidecar's fallback)
COUNT_LUA = """\
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() client = 0 end
function response(status, headers, body)
  if body:find('data-render="client"', 1, true) then client = client + 1 end
end
function done()
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("client") end
  io.write(string.format("client-rendered: %d\\n", n))
end
"""


def wrk(url, seconds, conns, lua):
    out = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds,
                          "--latency", "-s", lua, url],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    client = int(re.search(r"client-rendered: (\d+)", out).group(1))
    if re.search(r"Non-2xx or 3xx responses|Socket errors", out):
        sys.exit("wrk saw errors:\n" + out)
    return rps, p99, client


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sidecar_pid(root):
    sock = os.path.join(root, ".kiln", "ssr.sock").encode()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if sock in f.read().split(b"\0"):
                        return int(d)
            except OSError:
                pass
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--conns", type=int, default=32)
    a = ap.parse_args()
    kiln = os.path.join(REPO, a.build, "kiln")
    if not os.path.isdir(os.path.join(SSR_DIR, "node_modules")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=SSR_DIR,
                       check=True)
    tmp = tempfile.mkdtemp(prefix="kiln-ssr-bench-")
    procs = []
    try:
        root = os.path.join(tmp, "ssrapp")
        shutil.copytree(APP, root)
        front = os.path.join(root, "frontend")
        os.makedirs(os.path.join(front, "components"))
        with open(os.path.join(front, "components", "List.mjs"), "w") as f:
            f.write(LIST)
        os.symlink(os.path.join(SSR_DIR, "node_modules"),
                   os.path.join(front, "node_modules"))
        for name, text in (("server.mjs", NODE_SERVER), ("once.mjs", ONCE)):
            with open(os.path.join(front, name), "w") as f:
                f.write(text)
        lua = os.path.join(tmp, "count.lua")
        with open(lua, "w") as f:
            f.write(COUNT_LUA)
        env = dict(os.environ, NODE_ENV="production", KILN_APP_SECRET_KEY=os.urandom(24).hex())
        subprocess.run([kiln, "build"], cwd=root, env=env, check=True,
                       stdout=subprocess.DEVNULL)

        # kiln, through its sidecar
        port = free_port()
        log = open(os.path.join(tmp, "app.log"), "wb")
        procs.append(subprocess.Popen(
            [os.path.join(root, "dist", "ssrapp"), "--port", str(port),
             "--workers", "2", "--root", root], env=env,
            stdout=log, stderr=subprocess.STDOUT))
        url = "http://127.0.0.1:%d/api/render?c=List" % port
        wait_up(url, log=os.path.join(tmp, "app.log"))
        time.sleep(1)
        idle = rss_kib(sidecar_pid(root))
        k_rps, k_p99, k_err = wrk(url, a.seconds, a.conns, lua)
        procs.pop().terminate()

        # bare node
        port = free_port()
        procs.append(subprocess.Popen(["node", "server.mjs", str(port)],
                                      cwd=front, env=env))
        url = "http://127.0.0.1:%d/" % port
        wait_up(url)
        n_rps, n_p99, n_err = wrk(url, a.seconds, a.conns, lua)
        procs.pop().terminate()

        # a process per render, two at a time
        done = [0]
        lock = threading.Lock()
        deadline = time.monotonic() + a.seconds

        def renders():
            while time.monotonic() < deadline:
                subprocess.run(["node", "once.mjs"], cwd=front, env=env,
                               check=True,
                               stdout=subprocess.DEVNULL)
                with lock:
                    done[0] += 1

        start = time.monotonic()
        ths = [threading.Thread(target=renders) for _ in range(2)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        p_rps = done[0] / (time.monotonic() - start)

        print("SSR of a 50-row list (%d s, %d connections, wrk -t2)"
              % (a.seconds, a.conns))
        row = "  %-14s %9.0f req/s   p99 %7.2f ms   client-rendered %d"
        print(row % ("kiln sidecar", k_rps, k_p99, k_err))
        print(row % ("bare node", n_rps, n_p99, n_err))
        print("  process/render %9.1f req/s" % p_rps)
        print("  kiln / node    %9.2fx   (target >= 0.8x)" % (k_rps / n_rps))
        print("  kiln / process %9.0fx   (target >= 50x)" % (k_rps / p_rps))
        print("  sidecar idle RSS %d KiB" % idle)
    finally:
        for p in procs:
            p.terminate()
        shutil.rmtree(tmp, True)


if __name__ == "__main__":
    main()
