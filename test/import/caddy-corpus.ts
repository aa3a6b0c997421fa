// Real-world-style Caddyfiles for the import equivalence test, with the requests each must answer
// the same way before and after `hecate import caddy` + `hecate apply`. {A} {B} name upstreams,
// {OUTPOST} the authentik outpost stand-in, {P} the plain HTTP port, {S} the HTTPS port.

export interface Probe {
  host: string;
  path?: string;
  headers?: Record<string, string>;
  https?: boolean;
}

export interface CorpusCase {
  name: string;
  caddyfile: string;
  probes: Probe[];
  /** Files beside the Caddyfile (path relative to it → text, with the same placeholders), for `import`. */
  files?: Record<string, string>;
  /** Subjects of findings the import must refuse (everything else is mapped or kept verbatim). */
  refused?: string[];
  /** Subjects the import must map to Hecate fields (proves they were not just kept verbatim). */
  mapped?: string[];
}

const G = `{
	admin 127.0.0.1:{ADMIN}
}
`;

export const CORPUS: CorpusCase[] = [
  {
    name: "lb-first-health",
    caddyfile: `${G}
http://app.test:{P} {
	reverse_proxy {A} {B} {
		lb_policy first
		health_uri /health
		health_interval 1s
	}
}
`,
    probes: [{ host: "app.test" }, { host: "app.test", path: "/x?y=1" }],
    mapped: ["reverse_proxy"],
  },
  {
    name: "round-robin-headers",
    caddyfile: `${G}
http://rr.test:{P} {
	header X-Served "by caddy"
	header -X-Upstream
	reverse_proxy {A} {B} {
		lb_policy round_robin
	}
}
`,
    probes: [{ host: "rr.test" }, { host: "rr.test" }, { host: "rr.test" }, { host: "rr.test" }],
    mapped: ["header", "reverse_proxy"],
  },
  {
    name: "redirects",
    caddyfile: `${G}
http://old.test:{P} {
	redir https://new.test{uri} permanent
}
http://moved.test:{P} {
	redir /docs /documentation/ 302
	reverse_proxy {A}
}
`,
    probes: [{ host: "old.test", path: "/a/b?c=d" }, { host: "moved.test", path: "/docs" }, { host: "moved.test", path: "/other" }],
  },
  {
    name: "static-responses",
    caddyfile: `${G}
http://static.test:{P} {
	respond /ping "pong" 200
	respond /gone 410
	respond "hello from static" 200
}
`,
    probes: [{ host: "static.test", path: "/ping" }, { host: "static.test", path: "/gone" }, { host: "static.test", path: "/" }],
  },
  {
    name: "forward-auth-authentik",
    caddyfile: `${G}
http://secure.test:{P} {
	route {
		reverse_proxy /outpost.goauthentik.io/* {OUTPOST}
		forward_auth {OUTPOST} {
			uri /outpost.goauthentik.io/auth/caddy
			copy_headers X-Authentik-Username X-Authentik-Groups X-Authentik-Email X-Authentik-Name X-Authentik-Uid X-Authentik-Jwt X-Authentik-Meta-Jwks X-Authentik-Meta-Outpost X-Authentik-Meta-Provider X-Authentik-Meta-App X-Authentik-Meta-Version
			trusted_proxies private_ranges
		}
		reverse_proxy {A}
	}
}
`,
    probes: [
      { host: "secure.test", path: "/page" },
      { host: "secure.test", path: "/page", headers: { cookie: "session=alice" } },
      { host: "secure.test", path: "/outpost.goauthentik.io/callback?x=1" },
    ],
    mapped: ["forward_auth {OUTPOST}", "reverse_proxy"],
  },
  {
    name: "handle-path",
    caddyfile: `${G}
http://paths.test:{P} {
	handle_path /api/* {
		reverse_proxy {B}
	}
	handle {
		reverse_proxy {A}
	}
}
`,
    probes: [{ host: "paths.test", path: "/api/users?id=3" }, { host: "paths.test", path: "/index.html" }],
  },
  {
    name: "snippets-and-import",
    caddyfile: `${G}
(secure_headers) {
	header X-Frame-Options DENY
	header X-Content-Type-Options nosniff
}
http://one.test:{P} {
	import secure_headers
	reverse_proxy {A}
}
http://two.test:{P} {
	import secure_headers
	reverse_proxy {B}
}
`,
    probes: [{ host: "one.test" }, { host: "two.test" }],
    mapped: ["header", "reverse_proxy"],
  },
  {
    name: "request-headers-and-matchers",
    caddyfile: `${G}
http://api.test:{P} {
	request_header X-Request-Env staging
	@admin path /admin/*
	reverse_proxy @admin {B} {
		header_up X-Admin yes
	}
	reverse_proxy {A}
}
`,
    probes: [{ host: "api.test", path: "/admin/panel" }, { host: "api.test", path: "/public" }],
    mapped: ["header", "reverse_proxy"],
  },
  {
    name: "several-hosts-and-wildcard",
    caddyfile: `${G}
http://www.multi.test:{P}, http://multi.test:{P} {
	reverse_proxy {A}
}
http://*.wild.test:{P} {
	reverse_proxy {B}
}
`,
    probes: [{ host: "multi.test" }, { host: "www.multi.test" }, { host: "x.wild.test" }],
  },
  {
    name: "tls-internal",
    caddyfile: `{
	admin 127.0.0.1:{ADMIN}
	skip_install_trust
	http_port {P}
}
https://tls.test:{S} {
	tls internal
	header X-Tls on
	reverse_proxy {A}
}
`,
    probes: [{ host: "tls.test", https: true }],
    refused: ["app pki"],
  },
  {
    name: "ip-hash-timeouts-passive",
    caddyfile: `${G}
http://busy.test:{P} {
	reverse_proxy {A} {B} {
		lb_policy ip_hash
		lb_try_duration 2s
		fail_duration 30s
		max_fails 3
		transport http {
			dial_timeout 3s
			read_timeout 30s
		}
	}
}
`,
    probes: [{ host: "busy.test" }],
    mapped: ["reverse_proxy"],
  },
  {
    name: "imported-site-files",
    caddyfile: `${G}
(compress) {
	encode gzip
}
import sites/*.caddy
`,
    files: {
      "sites/blog.caddy": `http://blog.test:{P} {
	import compress
	header X-Served blog
	reverse_proxy {A}
}
`,
      "sites/shop.caddy": `http://shop.test:{P} {
	redir /cart /basket 302
	reverse_proxy {B} {
		lb_policy first
	}
}
`,
    },
    probes: [{ host: "blog.test", path: "/post/1" }, { host: "shop.test", path: "/cart" }, { host: "shop.test", path: "/basket" }],
    mapped: ["header", "reverse_proxy"],
  },
];
