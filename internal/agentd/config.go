package agentd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/shakedown-dev/shakedown/service"
)

// Config configures the service. Every zero value stands for the default in the flag's help.
type Config struct {
	// Addr is the listen address.
	Addr string
	// PostgresDSN, RedisURL and OllamaURL reach the dependencies.
	PostgresDSN, RedisURL, OllamaURL string
	// Model is the Ollama model agents use unless their settings name another.
	Model string
	// AdminToken guards /admin/...; empty refuses every admin call.
	AdminToken string

	// LLMTimeout bounds one attempt at the LLM; DBTimeout one database call; CacheTimeout one
	// Redis call.
	LLMTimeout, DBTimeout, CacheTimeout time.Duration
	// DBConnLifetime recycles database connections this old (as a pooler's server lifetime
	// does).
	DBConnLifetime time.Duration
	// LLMConcurrency and DBConcurrency size the bulkheads of LLM calls and of database-only
	// endpoints; MaxInFlight is the server's worker pool, shared by every request.
	LLMConcurrency, DBConcurrency, MaxInFlight int
	// BreakerOpen is how long an open breaker waits before it lets a probe through.
	BreakerOpen time.Duration
	// BreakerThreshold is the failure rate over the last 10 s (at least 10 calls) that opens a
	// breaker.
	BreakerThreshold float64
	// RateLimit is how many runs a second the public endpoint (POST /v1/agents/{id}/runs) takes;
	// the others are answered 429 with Retry-After. RateBurst is how many it takes back to back.
	// 0: no limit (a load test at 2,000 runs a second is one of its callers).
	RateLimit float64
	RateBurst int

	// The switches below turn resilience off, to show that the verdicts catch its absence.
	NoBreakers   bool // no circuit breakers: every call goes to the dependency
	NoRetries    bool // one attempt per call
	NoFallback   bool // an LLM failure is a 503, not a degraded answer
	NoBulkheads  bool // LLM calls may take every worker of the server
	UnsafeAck    bool // acknowledge a run before its write commits (and write it afterwards)
	ShallowReady bool // /health/ready says 200 without checking the dependencies
	// AcceptCutAnswers takes an answer whose stream broke off for a short answer: the mistake
	// the llm-stream-dies scenario's verdicts catch.
	AcceptCutAnswers bool
}

// DefaultConfig returns the defaults: what each zero field of a Config stands for, and each
// flag's default.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", Model: "llama3.2", LLMTimeout: 2 * time.Second, DBTimeout: time.Second,
		CacheTimeout: 100 * time.Millisecond, DBConnLifetime: 30 * time.Minute, BreakerOpen: 5 * time.Second, BreakerThreshold: 0.5,
		LLMConcurrency: 16, DBConcurrency: 16, MaxInFlight: 64}
}

// withDefaults fills each zero field from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, f := range []struct{ v, def *time.Duration }{{&c.LLMTimeout, &d.LLMTimeout}, {&c.DBTimeout, &d.DBTimeout},
		{&c.CacheTimeout, &d.CacheTimeout}, {&c.DBConnLifetime, &d.DBConnLifetime}, {&c.BreakerOpen, &d.BreakerOpen}} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	for _, f := range []struct{ v, def *int }{{&c.LLMConcurrency, &d.LLMConcurrency}, {&c.DBConcurrency, &d.DBConcurrency}, {&c.MaxInFlight, &d.MaxInFlight}} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.Model == "" {
		c.Model = d.Model
	}
	if c.BreakerThreshold == 0 {
		c.BreakerThreshold = d.BreakerThreshold
	}
	return c
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	for _, u := range []struct{ what, v string }{{"Postgres DSN (--postgres, " + service.URLVar(service.Postgres) + ")", c.PostgresDSN},
		{"Redis URL (--redis, " + service.URLVar(service.Redis) + ")", c.RedisURL}, {"Ollama URL (--ollama, " + service.URLVar(service.Ollama) + ")", c.OllamaURL}} {
		if u.v == "" {
			errs = append(errs, fmt.Errorf("agentd: the %s is required", u.what))
		}
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"llm-timeout", c.LLMTimeout}, {"db-timeout", c.DBTimeout}, {"cache-timeout", c.CacheTimeout}, {"breaker-open", c.BreakerOpen}, {"db-conn-lifetime", c.DBConnLifetime}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("agentd: --%s = %s; want a duration of 0 (the default) or more", d.flag, d.v))
		}
	}
	for _, n := range []struct {
		flag string
		v    int
	}{{"llm-concurrency", c.LLMConcurrency}, {"db-concurrency", c.DBConcurrency}, {"max-in-flight", c.MaxInFlight}} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("agentd: --%s = %d; want 0 (the default) or more", n.flag, n.v))
		}
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		errs = append(errs, fmt.Errorf("agentd: --rate-limit = %g, --rate-burst = %d; want 0 (no limit) or more", c.RateLimit, c.RateBurst))
	}
	if c.BreakerThreshold < 0 || c.BreakerThreshold > 1 {
		errs = append(errs, fmt.Errorf("agentd: --breaker-threshold = %g; want a failure rate in (0, 1], or 0 for the default", c.BreakerThreshold))
	}
	return errors.Join(errs...)
}

// ParseFlags reads the configuration from args, with the environment (getenv) as the default
// of the dependency URLs, the port and the admin token. Errors and -h go to out.
func ParseFlags(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	d := DefaultConfig()
	fs := flag.NewFlagSet("agentd", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := d.Addr
	if p := getenv("PORT"); p != "" {
		addr = "127.0.0.1:" + p
	}
	urlFlag := func(v *string, name, what, svc string) {
		fs.StringVar(v, name, getenv(service.URLVar(svc)), what+" (default $"+service.URLVar(svc)+")")
	}
	fs.StringVar(&c.Addr, "addr", addr, "listen address (default from PORT)")
	urlFlag(&c.PostgresDSN, "postgres", "Postgres DSN", service.Postgres)
	urlFlag(&c.RedisURL, "redis", "Redis URL", service.Redis)
	urlFlag(&c.OllamaURL, "ollama", "Ollama base URL", service.Ollama)
	fs.StringVar(&c.Model, "model", d.Model, "the model agents use")
	fs.StringVar(&c.AdminToken, "admin-token", getenv("AGENTD_ADMIN_TOKEN"), "bearer token of /admin (default $AGENTD_ADMIN_TOKEN; empty refuses every admin call)")
	fs.DurationVar(&c.LLMTimeout, "llm-timeout", d.LLMTimeout, "bound of one LLM attempt")
	fs.DurationVar(&c.DBTimeout, "db-timeout", d.DBTimeout, "bound of one database call")
	fs.DurationVar(&c.CacheTimeout, "cache-timeout", d.CacheTimeout, "bound of one Redis call")
	fs.DurationVar(&c.DBConnLifetime, "db-conn-lifetime", d.DBConnLifetime, "recycle database connections this old")
	fs.DurationVar(&c.BreakerOpen, "breaker-open", d.BreakerOpen, "how long an open breaker waits before a probe")
	fs.Float64Var(&c.BreakerThreshold, "breaker-threshold", d.BreakerThreshold, "failure rate over the last 10s (at least 10 calls) that opens a breaker")
	fs.IntVar(&c.LLMConcurrency, "llm-concurrency", d.LLMConcurrency, "LLM calls at once (the LLM bulkhead)")
	fs.IntVar(&c.DBConcurrency, "db-concurrency", d.DBConcurrency, "database-only requests at once (their bulkhead)")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", d.MaxInFlight, "requests the server works on at once (its worker pool)")
	fs.Float64Var(&c.RateLimit, "rate-limit", 0, "runs a second the public endpoint takes, 429 for the rest (0: no limit)")
	fs.IntVar(&c.RateBurst, "rate-burst", 0, "runs it takes back to back under --rate-limit (0: one second's worth)")
	fs.BoolVar(&c.NoBreakers, "no-breakers", false, "turn the circuit breakers off (to see a verdict catch it)")
	fs.BoolVar(&c.NoRetries, "no-retries", false, "turn retries off")
	fs.BoolVar(&c.NoFallback, "no-fallback", false, "answer 503 instead of a degraded answer")
	fs.BoolVar(&c.NoBulkheads, "no-bulkheads", false, "let LLM calls take every worker")
	fs.BoolVar(&c.UnsafeAck, "unsafe-ack", false, "acknowledge runs before their write commits")
	fs.BoolVar(&c.ShallowReady, "shallow-ready", false, "report ready without checking the dependencies")
	fs.BoolVar(&c.AcceptCutAnswers, "accept-cut-answers", false, "take an LLM answer whose stream broke off for a short answer")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("agentd: unexpected argument %q; every setting is a flag (-h lists them)", fs.Arg(0))
	}
	return c, c.Validate()
}
