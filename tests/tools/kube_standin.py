#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in Kubernetes API server, for what the real one cannot be made to do
on demand or at scale:

  - serve a synthetic cluster of N nodes and M pods in pages (limit/continue),
    for bench/k8s_scale.sh (5,000 nodes, 150,000 pods);
  - on the pods watch, send a MODIFIED event every --event-every seconds (a
    label flip), so weftd's per-event apply time can be read from its status;
  - cut the pods watch in the middle of an event (--cut-after N: after N
    events, half of the next line, then the connection is closed), which a
    real server never does on purpose;
  - open every pods watch with a BOOKMARK at a chosen resourceVersion
    (--bookmark-rv), so a client's resume point can be checked;
  - expire a continue token once (--expire-continue TOKEN: 410 the first time
    a list asks for that page), as etcd compaction does between two pages;
  - offer the streaming list (--watch-list: a watch with sendInitialEvents
    sends every object as ADDED, then the bookmark that ends them), which the
    v1.24 server of ../shared/kube lacks. Without it such a request is
    refused with 422, as v1.24 refuses resourceVersionMatch on a watch.

Every watch request is printed with its resourceVersion.

HTTPS with the certificate and key given; any bearer token is accepted.
Usage: kube_standin.py --cert C --key K --port P [--nodes N --pods M ...]
"""
import argparse
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RV = 1000
LOCK = threading.Lock()


def node(i):
    name = "node-%05d" % i
    return {"metadata": {"name": name, "uid": "uid-" + name, "resourceVersion": "1",
                         "labels": {"kubernetes.io/hostname": name,
                                    "kubernetes.io/os": "linux",
                                    "node.kubernetes.io/instance-type": "m5.large"}},
            "spec": {"podCIDR": "10.%d.%d.0/24" % (64 + i // 256, i % 256),
                     "podCIDRs": ["10.%d.%d.0/24" % (64 + i // 256, i % 256)]},
            "status": {"addresses": [
                {"type": "InternalIP", "address": "172.%d.%d.%d" % (16 + i // 65536, (i // 256) % 256, i % 256 or 1)},
                {"type": "Hostname", "address": name}],
                "conditions": [{"type": "Ready", "status": "True"}]}}


def pod(j, nodes, flip=0):
    n = j % nodes
    ns = "ns-%03d" % (j % 200)
    name = "app-%06d" % j
    return {"metadata": {"name": name, "namespace": ns, "uid": "uid-" + name,
                         "resourceVersion": "1",
                         "labels": {"app": "app-%d" % (j % 1000), "tier": "web",
                                    "pod-template-hash": "%08x" % (j // 10), "flip": str(flip)},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                              "name": "app-%d" % (j % 1000), "uid": "rs"}]},
            "spec": {"nodeName": "node-%05d" % n,
                     "containers": [{"name": "main", "image": "registry/app:1.2.3",
                                     "ports": [{"name": "http", "containerPort": 8080,
                                                "protocol": "TCP"}]}]},
            "status": {"phase": "Running",
                       "hostIP": "172.%d.%d.%d" % (16 + n // 65536, (n // 256) % 256, n % 256 or 1),
                       "podIP": "10.%d.%d.%d" % (64 + n // 256, n % 256, 2 + (j // nodes) % 250),
                       "podIPs": [{"ip": "10.%d.%d.%d" % (64 + n // 256, n % 256, 2 + (j // nodes) % 250)}]}}


def pages(kind, items, limit):
    out = []
    for start in range(0, max(len(items), 1), limit):
        chunk = items[start:start + limit]
        meta = {"resourceVersion": str(RV)}
        if start + limit < len(items):
            meta["continue"] = str(start + limit)
        out.append(json.dumps({"kind": kind, "apiVersion": "v1", "metadata": meta,
                               "items": chunk}).encode())
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle and
        # the client's delayed ACK would add 40 ms to every page.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send_json(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        kind = u.path.rsplit("/", 1)[-1]
        if kind not in self.server.data:
            return self.send_json(404, b'{"kind":"Status","code":404,"message":"not here"}')
        if q.get("watch") == ["1"]:
            print("watch %s resourceVersion=%s%s" % (kind, q.get("resourceVersion", [""])[0],
                  " sendInitialEvents" if "sendInitialEvents" in q else ""), flush=True)
            if "resourceVersionMatch" in q and not self.server.args.watch_list:
                return self.send_json(422, b'{"kind":"Status","code":422,"reason":"Invalid",'
                                      b'"message":"resourceVersionMatch is forbidden for watch"}')
            return self.watch(kind, "sendInitialEvents" in q)
        ps = self.server.data[kind]
        cont = q.get("continue", [""])[0]
        print("list %s continue=%s" % (kind, cont), flush=True)
        if kind == "pods" and cont and cont == self.server.args.expire_continue:
            self.server.args.expire_continue = ""
            return self.send_json(410, b'{"kind":"Status","code":410,"reason":"Expired",'
                                  b'"message":"The provided continue parameter is too old"}')
        start = int(cont or "0")
        self.send_json(200, ps[start // self.server.limit])

    def watch(self, kind, initial=False):
        global RV
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        a = self.server.args
        sent = 0
        try:
            if initial:
                lines = self.server.lines[kind]
                for i in range(0, len(lines), 500):
                    self.chunk(b"".join(lines[i:i + 500]))
                self.chunk(json.dumps({"type": "BOOKMARK", "object": {"metadata": {
                    "resourceVersion": str(RV),
                    "annotations": {"k8s.io/initial-events-end": "true"}}}}).encode() + b"\n")
            if kind == "pods" and a.bookmark_rv:
                self.chunk(json.dumps({"type": "BOOKMARK", "object": {
                    "kind": "Pod", "metadata": {"resourceVersion": a.bookmark_rv}}}).encode()
                    + b"\n")
            while True:
                time.sleep(a.event_every if kind == "pods" and a.event_every else 5)
                if kind != "pods" or not a.event_every:
                    continue
                with LOCK:
                    RV += 1
                    rv = RV
                p = pod(sent % a.pods, a.nodes, flip=sent + 1)
                p["metadata"]["resourceVersion"] = str(rv)
                line = json.dumps({"type": "MODIFIED", "object": p}).encode() + b"\n"
                if a.cut_after >= 0 and sent == a.cut_after:
                    self.chunk(line[: len(line) // 2])
                    self.connection.shutdown(2)
                    return
                self.chunk(line)
                sent += 1
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--pods", type=int, default=10)
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--event-every", type=float, default=0)
    ap.add_argument("--cut-after", type=int, default=-1)
    ap.add_argument("--bookmark-rv", default="")
    ap.add_argument("--watch-list", action="store_true")
    ap.add_argument("--expire-continue", default="")
    a = ap.parse_args()
    t0 = time.time()
    nodes = [node(i) for i in range(a.nodes)]
    pods = [pod(j, a.nodes) for j in range(a.pods)]
    nss = [{"metadata": {"name": "ns-%03d" % i, "labels": {"team": "t%d" % (i % 7)}}}
           for i in range(200)]
    srv = ThreadingHTTPServer((a.bind, a.port), Handler)
    srv.daemon_threads = True
    srv.args = a
    srv.limit = a.limit
    srv.data = {"nodes": pages("NodeList", nodes, a.limit),
                "pods": pages("PodList", pods, a.limit),
                "namespaces": pages("NamespaceList", nss, a.limit),
                "networkpolicies": pages("NetworkPolicyList", [], a.limit)}
    srv.lines = {}
    if a.watch_list:
        for k, items in (("nodes", nodes), ("pods", pods), ("namespaces", nss),
                         ("networkpolicies", [])):
            srv.lines[k] = [json.dumps({"type": "ADDED", "object": o}).encode() + b"\n"
                            for o in items]
    size = sum(len(p) for ps in srv.data.values() for p in ps)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready: %d nodes, %d pods, %.1f MB of JSON in %d pages, built in %.1f s" %
          (a.nodes, a.pods, size / 1e6, sum(len(p) for p in srv.data.values()),
           time.time() - t0), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
