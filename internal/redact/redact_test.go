package redact

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/record"
)

const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwiYWRtaW4iOnRydWV9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"

// TestText: secrets are gone in every shape a scenario, a body or a message writes them; the
// references beside them (${NAME}, {{name}}), locators and ordinary text are kept byte for byte.
func TestText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		// a header, in YAML's shapes and JSON's
		{"Authorization: Bearer sk-live-abc", "Authorization: Bearer ***"},
		{`headers: {Authorization: "Bearer sk-live-abc", Content-Type: application/json}`, `headers: {Authorization: "Bearer ***", Content-Type: application/json}`},
		{`"Authorization": "Bearer x"`, `"Authorization": "Bearer ***"`},
		{"Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***"},
		{"X-Api-Key: k-123456", "X-Api-Key: ***"},
		{"Cookie: session=abc123; theme=dark", "Cookie: ***; theme=dark"},
		// references are kept, and what stands beside them
		{`headers: {Authorization: "Bearer ${TOKEN}"}`, `headers: {Authorization: "Bearer ${TOKEN}"}`},
		{"headers: {Authorization: Bearer ${T}}", "headers: {Authorization: Bearer ${T}}"},
		{`headers: {Authorization: "Bearer sk-{{key}}"}`, `headers: {Authorization: "Bearer sk-{{key}}"}`},
		{`Authorization: "Bearer {{token}}", X-Request-Id: "{{uuid}}"`, `Authorization: "Bearer {{token}}", X-Request-Id: "{{uuid}}"`},
		{`SHOP_PG_PASSWORD: "{{postgres.password}}"`, `SHOP_PG_PASSWORD: "{{postgres.password}}"`},
		{`body: '{"api_key": "${SHOP_API_KEY}"}'`, `body: '{"api_key": "${SHOP_API_KEY}"}'`},
		{`env: {PGPASSWORD: "${{ secrets.STAGING_PGPASSWORD }}"}`, `env: {PGPASSWORD: "${{ secrets.STAGING_PGPASSWORD }}"}`},
		{"agentd --admin-token ${ADMIN_TOKEN}", "agentd --admin-token ${ADMIN_TOKEN}"},
		// a literal beside a reference in the same text is still redacted
		{`headers: {Authorization: "Bearer ${T}", X-Api-Key: k-live-99}`, `headers: {Authorization: "Bearer ${T}", X-Api-Key: ***}`},
		// fields
		{"token: abc", "token: ***"},
		{"postgres: {user: shop, password: shop-pw, database: shop}", "postgres: {user: shop, password: ***, database: shop}"},
		{`{"api_key": "k-123", "name": "x"}`, `{"api_key": "***", "name": "x"}`},
		{`{"access_token":"opaque-1234","expires_in":3600}`, `{"access_token":"***","expires_in":3600}`},
		{"password=hunter2 user=bob", "password=*** user=bob"},
		{"GET /cb?code=1&token=abc&next=/", "GET /cb?code=1&token=***&next=/"},
		{"agentd --admin-token t0k --no-breakers", "agentd --admin-token *** --no-breakers"},
		{"--password=hunter2", "--password=***"},
		// URLs and DSNs
		{"postgres://u:p4ss@h:5432/db", "postgres://u:***@h:5432/db"},
		{"redis://:secret@h:6379/0", "redis://:***@h:6379/0"},
		{"url: postgres://shakedown:${PGPASSWORD}@db:5432/agentd", "url: postgres://shakedown:${PGPASSWORD}@db:5432/agentd"},
		{"redis://:{{redis.password}}@h:6379", "redis://:{{redis.password}}@h:6379"},
		{"http://127.0.0.1:8080/v1/agents", "http://127.0.0.1:8080/v1/agents"},
		{"http://h:8080/a@b", "http://h:8080/a@b"},
		// tokens in bodies and messages
		{`{"session": {"jwt": "` + jwt + `"}}`, `{"session": {"jwt": "***"}}`},
		{"answered 401; its body: " + jwt, "answered 401; its body: ***"},
		{"Bearer sk-live-abc", "Bearer ***"},
		{"invalid Bearer " + jwt + " given", "invalid Bearer *** given"},
		// what is not a secret
		{"missing Bearer token", "missing Bearer token"},
		{`WWW-Authenticate: Bearer realm="api", error="invalid_token"`, `WWW-Authenticate: Bearer realm="api", error="invalid_token"`},
		{"capture: {token: /data/accessToken}", "capture: {token: /data/accessToken}"},
		{"capture: {token: header:X-Auth-Token}", "capture: {token: header:X-Auth-Token}"},
		{"environment: {ollama: {time_to_first_token: 200ms, token_interval: 20ms}}", "environment: {ollama: {time_to_first_token: 200ms, token_interval: 20ms}}"},
		{`{"max_tokens": 256, "prompt_tokens": 12}`, `{"max_tokens": 256, "prompt_tokens": 12}`},
		{"$${LITERAL}", "$${LITERAL}"},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q)\n  = %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestKnownValues: a value the run knows is redacted wherever it is, whatever its form; a
// shorter one than minKnown is not (it would redact ordinary words); an error keeps its chain.
func TestKnownValues(t *testing.T) {
	t.Parallel()
	r := New("s3cr3t-value", "abc")
	r.Add("s3cr3t-value-longer")
	for in, want := range map[string]string{
		`{"echo": "s3cr3t-value"}`:              `{"echo": "***"}`,
		"x-s3cr3t-value-longer-y":               "x-***-y",
		"abc is short: kept":                    "abc is short: kept",
		"Authorization: Bearer ${SECRET} stays": "Authorization: Bearer ${SECRET} stays",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q; want %q", in, got, want)
		}
	}
	err := r.Error(&fs.PathError{Op: "open", Path: "/tmp/s3cr3t-value", Err: fs.ErrNotExist})
	if err.Error() != "open /tmp/***: file does not exist" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Error = %q (errors.Is ErrNotExist: %v); want the value redacted and the chain kept", err, errors.Is(err, fs.ErrNotExist))
	}
	if plain := errors.New("nothing secret"); r.Error(plain) != plain || r.Error(nil) != nil {
		t.Error("Error wrapped an error with nothing to redact")
	}
}

func TestName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Authorization": true, "Proxy-Authorization": true, "X-Api-Key": true, "Cookie": true, "token": true, "accessToken": true,
		"PGPASSWORD": true, "SHOP_METRICS_TOKEN": true, "client_secret": true, "admin-token": true, "adminToken": true,
		"maxToken":     false,
		"Content-Type": false, "order": false, "time_to_first_token": false, "max_tokens": false, "token_interval": false, "X-Request-Id": false,
	} {
		if got := Name(name); got != want {
			t.Errorf("Name(%q) = %v; want %v", name, got, want)
		}
	}
}

// TestRecord: every free text a run writes into its record is redacted in the copy, the source
// by form alone; the record handed in is not changed.
func TestRecord(t *testing.T) {
	t.Parallel()
	const v = "known-value-1"
	rec := &record.Record{
		Scenario: record.ScenarioInfo{Source: "services: [known-value-1]\nheaders: {Authorization: Bearer ${T}, X-Api-Key: k-live-99}\n"},
		Command:  "shakedown run x.yaml --admin-token t0k", Error: "setup[0]: its body: " + jwt, Halted: "halt " + v,
		Env:         record.EnvInfo{SUT: "http://u:pw@h", Replicas: []string{"http://" + v}},
		Scrape:      &record.ScrapeStats{URL: "http://prom:" + v + "@h", LastError: "401 " + v},
		Durability:  map[string]*record.Durability{"d": {Error: "connect: password=" + v}},
		Faults:      []record.FaultEvent{{Detail: v, Error: "token=" + v}},
		Events:      []record.Event{{Detail: v}},
		DecisionLog: []record.Decision{{Detail: "AUTH " + v}},
	}
	got := New(v).Record(rec)
	if want := "services: [known-value-1]\nheaders: {Authorization: Bearer ${T}, X-Api-Key: ***}\n"; got.Scenario.Source != want {
		t.Errorf("source = %q; want %q", got.Scenario.Source, want)
	}
	for _, s := range []string{got.Command, got.Error, got.Halted, got.Env.SUT, got.Env.Replicas[0], got.Scrape.URL, got.Scrape.LastError,
		got.Durability["d"].Error, got.Faults[0].Detail, got.Faults[0].Error, got.Events[0].Detail, got.DecisionLog[0].Detail} {
		if strings.Contains(s, v) || strings.Contains(s, "t0k") || strings.Contains(s, "pw@") || strings.Contains(s, "eyJ") || !strings.Contains(s, Mask) {
			t.Errorf("%q: want each secret in it redacted", s)
		}
	}
	if rec.Faults[0].Detail != v || rec.Events[0].Detail != v || rec.DecisionLog[0].Detail != "AUTH "+v || rec.Env.Replicas[0] != "http://"+v || rec.Scrape.URL != "http://prom:"+v+"@h" {
		t.Error("Record changed the record handed in")
	}
}

// FuzzText: redacting twice is redacting once, and every reference of the input is in the output.
func FuzzText(f *testing.F) {
	for _, s := range []string{"Authorization: Bearer sk-{{key}}", "token: abc", "postgres://u:${P}@h/db", jwt, "--token ${T} password=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := Text(s)
		if twice := Text(once); twice != once {
			t.Errorf("Text(%q) = %q, but Text of that = %q", s, once, twice)
		}
		for _, ref := range refRE.FindAllString(s, -1) {
			if !strings.Contains(once, ref) {
				t.Errorf("Text(%q) = %q lost the reference %s", s, once, ref)
			}
		}
	})
}
