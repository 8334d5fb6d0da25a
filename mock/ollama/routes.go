package ollama

import (
	"io"
	"net/http"
	"strings"
)

// route is one of Ollama v0.17.4's routes (server/routes.go GenerateRoutes), in its order. A
// segment ":name" matches one path segment, as in gin.
type route struct {
	method, path string
	h            http.HandlerFunc
}

// methodOrder is the order of gin's method trees in Ollama's router (first registered first),
// which is the order of an Allow header.
var methodOrder = []string{http.MethodHead, http.MethodGet, http.MethodPost, http.MethodDelete}

func (s *Server) routeTable() []route {
	running := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Ollama is running")
	}
	version := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": Version})
	}
	return []route{
		{"HEAD", "/", running},
		{"GET", "/", running},
		{"HEAD", "/api/version", version},
		{"GET", "/api/version", version},
		{"GET", "/api/status", notServed},
		{"POST", "/api/pull", s.handlePull},
		{"POST", "/api/push", s.handlePush},
		{"HEAD", "/api/tags", s.handleTags},
		{"GET", "/api/tags", s.handleTags},
		{"POST", "/api/show", s.handleShow},
		{"DELETE", "/api/delete", s.handleDelete},
		{"POST", "/api/me", notSignedIn},
		{"POST", "/api/signout", notSignedIn},
		{"DELETE", "/api/user/keys/:encodedKey", notSignedIn},
		{"POST", "/api/create", s.handleCreate},
		{"POST", "/api/blobs/:digest", s.handleCreateBlob},
		{"HEAD", "/api/blobs/:digest", s.handleHeadBlob},
		{"POST", "/api/copy", s.handleCopy},
		{"GET", "/api/experimental/aliases", notServed},
		{"POST", "/api/experimental/aliases", notServed},
		{"DELETE", "/api/experimental/aliases", notServed},
		{"GET", "/api/ps", s.handlePS},
		{"POST", "/api/generate", s.handleGenerate},
		{"POST", "/api/chat", s.handleChat},
		{"POST", "/api/embed", s.handleEmbed},
		{"POST", "/api/embeddings", s.handleEmbeddings},
		{"POST", "/v1/chat/completions", s.v1Chat},
		{"POST", "/v1/completions", s.v1Completions},
		{"POST", "/v1/embeddings", s.v1Embeddings},
		{"GET", "/v1/models", s.v1Models},
		{"GET", "/v1/models/:model", s.v1Model},
		{"POST", "/v1/responses", notServed},
		{"POST", "/v1/images/generations", notServed},
		{"POST", "/v1/images/edits", notServed},
		{"POST", "/v1/messages", notServed},
	}
}

// notServed answers a route Ollama has and the mock does not serve: 501, in Ollama's error shape.
func notServed(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "the Shakedown mock does not serve "+r.Method+" "+r.URL.Path)
}

// notSignedIn is Ollama's answer to the account endpoints on a server that is not signed in
// to ollama.com (routes.go:1890, 1920).
func notSignedIn(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusUnauthorized, "unauthorized")
}

// match reports whether path matches pattern, setting the ":name" values on r.
func match(pattern, path string, r *http.Request) bool {
	if !strings.Contains(pattern, ":") {
		return pattern == path
	}
	ps, qs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if name, ok := strings.CutPrefix(ps[i], ":"); ok {
			if qs[i] == "" {
				return false
			}
			if r != nil {
				r.SetPathValue(name, qs[i])
			}
		} else if ps[i] != qs[i] {
			return false
		}
	}
	return true
}

// router dispatches as gin does in Ollama's router: the route of the method and path; else a
// redirect to the path with or without its trailing slash when that has a route of the method
// (301 for GET, 307 otherwise: RedirectTrailingSlash); else 405 with Allow naming the methods
// the path has (HandleMethodNotAllowed); else 404. CORS comes first, as Ollama's cors middleware.
func (s *Server) router() http.Handler {
	table := s.routeTable()
	find := func(method, path string, r *http.Request) http.HandlerFunc {
		for _, rt := range table {
			if rt.method == method && match(rt.path, path, r) {
				return rt.h
			}
		}
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cors(w, r) {
			return
		}
		p := r.URL.Path
		if h := find(r.Method, p, r); h != nil {
			h(w, r)
			return
		}
		if p != "/" && r.Method != http.MethodConnect {
			other := p + "/"
			if strings.HasSuffix(p, "/") {
				other = strings.TrimSuffix(p, "/")
			}
			if find(r.Method, other, nil) != nil {
				code := http.StatusMovedPermanently
				if r.Method != http.MethodGet {
					code = http.StatusTemporaryRedirect
				}
				u := *r.URL
				u.Path = other
				http.Redirect(w, r, u.String(), code)
				return
			}
		}
		var allowed []string
		for _, m := range methodOrder {
			if m != r.Method && find(m, p, nil) != nil {
				allowed = append(allowed, m)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			w.WriteHeader(http.StatusMethodNotAllowed)
			io.WriteString(w, "405 method not allowed")
			return
		}
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "404 page not found")
	})
}

func (s *Server) routes() http.Handler {
	root := http.NewServeMux()
	root.Handle(FaultsPath+"/", http.StripPrefix(FaultsPath, s.faults.AdminHandler()))
	root.Handle(FaultsPath, http.StripPrefix(FaultsPath, s.faults.AdminHandler()))
	root.Handle("/", s.faults.Middleware(s.router()))
	return root
}

// The CORS policy of Ollama's router: gin-contrib/cors with Ollama's allowed origins
// (envconfig.AllowedOrigins without OLLAMA_ORIGINS), wildcards and browser extensions allowed,
// and its allowed headers. A request whose Origin is not allowed is a 403 with no body; a
// preflight (OPTIONS with an allowed Origin) is a 204.
var (
	corsOrigins = []string{
		"http://localhost", "https://localhost", "http://localhost:*", "https://localhost:*",
		"http://127.0.0.1", "https://127.0.0.1", "http://127.0.0.1:*", "https://127.0.0.1:*",
		"http://0.0.0.0", "https://0.0.0.0", "http://0.0.0.0:*", "https://0.0.0.0:*",
		"app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*",
	}
	corsExtensions = []string{"chrome-extension://", "safari-extension://", "moz-extension://", "ms-browser-extension://"}
	corsHeaders    = "Authorization,Content-Type,User-Agent,Accept,X-Requested-With,Openai-Beta,X-Stainless-Arch,X-Stainless-Async," +
		"X-Stainless-Custom-Poll-Interval,X-Stainless-Helper-Method,X-Stainless-Lang,X-Stainless-Os,X-Stainless-Package-Version," +
		"X-Stainless-Poll-Helper,X-Stainless-Retry-Count,X-Stainless-Runtime,X-Stainless-Runtime-Version,X-Stainless-Timeout"
)

func originAllowed(origin string) bool {
	for _, o := range corsOrigins {
		if prefix, suffix, wild := strings.Cut(o, "*"); wild {
			if strings.HasPrefix(origin, prefix) && strings.HasSuffix(origin, suffix) {
				return true
			}
		} else if origin == o {
			return true
		}
	}
	for _, e := range corsExtensions {
		if strings.HasPrefix(origin, e) {
			return true
		}
	}
	return false
}

// cors applies the policy, reporting whether the request goes on to the routes.
func cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "http://"+r.Host || origin == "https://"+r.Host {
		return true
	}
	if !originAllowed(origin) {
		w.WriteHeader(http.StatusForbidden)
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	if r.Method == http.MethodOptions {
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS")
		h.Set("Access-Control-Allow-Headers", corsHeaders)
		h.Set("Access-Control-Max-Age", "43200")
		h.Set("Access-Control-Allow-Origin", origin)
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	return true
}
