vcl 4.1;

import std;

# Varnish (7.x) in front of snapfront.
#
# snapfront decides every lifetime with Cache-Control (README: Caches in front); this VCL only
# keeps Varnish from undoing that:
# - PURGE (sent by snapfront after every change, see [[cdn]] in snapfront.toml) is accepted
#   only from the addresses in acl snapfront_purgers; a PURGE carrying a Surrogate-Key header
#   drops every object tagged with that key instead ("mount:/apt/", "class:volatile", ...).
# - Repository files and tarballs are fetched and stored without any content coding: APT
#   ignores Content-Encoding and would report a Hash Sum mismatch. Only snapfront's generated
#   pages (which it precompresses itself) go through gzip negotiation.
# - Grace comes from stale-while-revalidate alone (volatile pages and traces); everything
#   else gets none, so an expired InRelease is never served beside a fresh Packages.
# - APT's and a browser's spellings of one URL (%7e or ~, %2b or +) are one object.
#
# Change the backend to snapfront's [server] listen address, and the ACL to the addresses
# snapfront sends its PURGE requests from.

backend snapfront {
    .host = "127.0.0.1";
    .port = "8080";
    # snapfront's readiness (README: Health, failover and metrics): 503 while its newest
    # snapshot is too old or about to expire, its watcher is dead, or its disk is full.
    # Varnish then serves what it holds within grace and sends misses elsewhere.
    .probe = {
        .request = "GET /-/ready HTTP/1.1"
                   "Host: snapfront"
                   "User-Agent: varnish-probe"
                   "Connection: close";
        .expected_response = 200;
        .interval = 5s;
        .timeout = 2s;
        .window = 5;
        .threshold = 3;
        .initial = 3;  # healthy from the start: no 503s while the first probes run
    }
}
# An active/passive pair: declare the passive as a second backend with the same probe and
# pick the first healthy one, active first:
#   import directors;
#   sub vcl_init { new pair = directors.fallback(); pair.add_backend(snapfront);
#                  pair.add_backend(snapfront_passive); }
#   sub vcl_recv { set req.backend_hint = pair.backend(); }

acl snapfront_purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    call vcl_req_host;
    # One object per file whatever the spelling (snapfront decodes both the same way).
    set req.url = regsuball(req.url, "%7[eE]", "~");
    set req.url = regsuball(req.url, "%2[bB]", "+");

    if (req.method == "PURGE") {
        if (client.ip !~ snapfront_purgers) {
            return (synth(403, "PURGE not allowed from " + client.ip));
        }
        if (req.http.Surrogate-Key) {
            # One key, matched whole: (?<!\S) and (?!\S) are the spaces around it.
            if (std.ban({"obj.http.Surrogate-Key ~ (?<!\S)"} + req.http.Surrogate-Key
                        + {"(?!\S)"})) {
                return (synth(200, "Banned"));
            }
            return (synth(400, std.ban_error()));
        }
        return (purge);
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);  # snapfront answers 405 itself
    }
    if (req.url !~ "(/|/index\.html|/index\.json|/feed\.atom)(\?.*)?$") {
        unset req.http.Accept-Encoding;  # not a generated page: no coding, one variant
    }
    # APT sends "Cache-Control: max-age=0" with every update: snapfront's lifetimes decide.
    return (hash);
}

sub vcl_backend_fetch {
    # http_gzip_support asks the backend for gzip; only generated pages may come coded.
    if (bereq.url !~ "(/|/index\.html|/index\.json|/feed\.atom)(\?.*)?$") {
        unset bereq.http.Accept-Encoding;
    }
}

sub vcl_backend_response {
    set beresp.do_gzip = false;  # snapfront precompresses what may be compressed
    if (beresp.http.Cache-Control !~ "(?i)stale-while-revalidate") {
        set beresp.grace = 0s;
    }
    # Revalidate expired copies with If-None-Match: snapfront's 304s are cheap.
    set beresp.keep = 1d;
}

sub vcl_deliver {
    unset resp.http.Surrogate-Key;
}

sub vcl_synth {
    if (req.method == "PURGE") {
        set resp.http.Content-Type = "text/plain; charset=utf-8";
        set resp.body = resp.reason + {"
"};
        return (deliver);
    }
}
