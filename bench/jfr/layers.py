#!/usr/bin/env python3
"""Splits a JFR recording's CPU samples (jdk.ExecutionSample) by layer: each sample counts once, for
the first layer below that appears anywhere on its stack (start-up first, then the database, the
crypto libraries, JSON, the HTTP client of the KX call (the JDK's or Jetty's), IMSM's own code,
Jetty/Javalin), and lists how often each SQL statement ran (JDBI's jdbi.statement events, recorded
with the profile settings).
   bench/jfr/layers.py recording.jfr [TOKENS]
With TOKENS (the requests answered while recording), statements are also given per token."""
import collections, json, subprocess, sys

path = sys.argv[1]
tokens = int(sys.argv[2]) if len(sys.argv) > 2 else 0


def events(kind, depth=96):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", str(depth), "--events", kind, path],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["recording"]["events"]


def layer(frames):
    has = lambda *p: any(f.startswith(p) for f in frames)
    if any("DemoMain.start" in f or "Database.migrate" in f for f in frames):
        return "start-up (not load)"
    if has("org/h2", "org/jdbi", "com/zaxxer"):
        if any("JdbcConnection.commit" in f for f in frames):
            return "database: H2 commit"
        if any("JdbcConnection.prepareStatement" in f for f in frames):
            return "database: H2 statement parse"
        if has("org/h2"):
            return "database: H2 statement execution"
        return "database: JDBI/Hikari (above H2)"
    if has("org/bouncycastle"):
        return "crypto: BouncyCastle P-256, SHA-256, HMAC"
    if has("com/nimbusds"):
        return "JOSE: Nimbus (JWS/JWE framing)"
    if has("com/fasterxml"):
        return "JSON: Jackson"
    if has("jdk/internal/net/http", "org/eclipse/jetty/client"):
        return "HTTP client of the KX call (the JDK's, or Jetty's)"
    if has("io/imsm"):
        return "IMSM and SDK code (other)"
    if has("org/eclipse/jetty", "io/javalin"):
        return "Jetty/Javalin (both servers)"
    return "other JDK (threads, GC reference handling)"


samples = events("jdk.ExecutionSample")
count = collections.Counter()
for e in samples:
    st = e["values"].get("stackTrace")
    if st:
        count[layer([f["method"]["type"]["name"] + "." + f["method"]["name"] for f in st["frames"]])] += 1
total = sum(count.values())
print(f"{total} samples")
for name, c in count.most_common():
    print(f"{100 * c / total:5.1f}%  {name}")
try:
    stmts = collections.Counter(str(e["values"].get("sql"))[:90] for e in events("jdbi.statement", 1))
except subprocess.CalledProcessError:
    stmts = collections.Counter()
if stmts:
    print("\n-- SQL statements (count" + (", per token" if tokens else "") + ")")
    for sql, c in stmts.most_common(15):
        print(f"{c:7d}" + (f" {c / tokens:5.2f}" if tokens else "") + f"  {sql}")
