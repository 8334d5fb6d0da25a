package scenarios

import (
	"github.com/shakedown-dev/shakedown/answer"
	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

// Scenario is one chaos experiment.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	// Seed seeds every random decision. 0: the run picks one and prints it with the command that
	// replays the run.
	Seed        uint64      `yaml:"seed,omitempty"`
	Environment Environment `yaml:"environment,omitempty"`
	SUT         SUT         `yaml:"sut"`
	// Setup runs once the environment is up, in the order written: SQL applied to the database,
	// commands (migrations, a seed script), requests to the system under test. The steps before
	// the first request step run before the SUT starts, the rest once it is ready
	// (StepsBeforeSUT).
	Setup  []SetupStep `yaml:"setup,omitempty"`
	Load   LoadSpec    `yaml:"load"`
	Phases Phases      `yaml:"phases"`
	// Short are the phases of the scenario's short form, which make test runs: the same faults
	// and verdicts in less time. Empty: the scenario has no short form.
	Short  *Phases       `yaml:"short,omitempty"`
	Faults []faults.Spec `yaml:"faults,omitempty"`
	// Assertions are the verdicts the run is judged by.
	Assertions []assertions.Spec `yaml:"assertions,omitempty"`
	// Halt stops every fault at once when one of its conditions holds (the run goes on into
	// recovery, and says why it halted).
	Halt []HaltCondition `yaml:"halt,omitempty"`
	// Metrics says where the SUT's metrics are scraped and which series are kept.
	Metrics Metrics `yaml:"metrics,omitempty"`

	// File and Source are the file the scenario was read from and its text.
	File   string `yaml:"-"`
	Source string `yaml:"-"`
	// Secrets are the values of the environment variables the file references (${NAME}): a run
	// redacts them from everything it prints and keeps, as it does tokens, passwords and keys. A
	// scenario made in Go may list its own.
	Secrets []string `yaml:"-"`
	// StagedBuiltin is, for a scenario moved onto staging (OnStaging), the builtin its own SUT
	// named: the staging SUT is that system deployed there, so what the run knows of the builtin
	// (its durability query) still holds.
	StagedBuiltin string `yaml:"-"`
}

// Shortened returns the scenario's short form: a copy with the short phases (itself when it has
// none).
func (s *Scenario) Shortened() *Scenario {
	if s.Short == nil {
		return s
	}
	c := *s
	c.Phases, c.Short = *s.Short, nil
	return &c
}

// SetupStep is one step of the set-up: exactly one of SQL, Command and Request.
type SetupStep struct {
	// SQL is a .sql file, or a folder of migrations (golang-migrate's, goose's or plain numbered
	// files: their up direction only, in the order of their versions), relative to the scenario
	// file; applied to Postgres directly, not through its proxy.
	SQL string `yaml:"sql,omitempty"`
	// Command runs with the variables a command SUT gets (sut.env's included); its arguments may
	// use the services' parts ("{{postgres.dsn}}") and the values the request steps before it
	// captured.
	Command []string `yaml:"command,omitempty"`
	// Dir is the command's working folder, relative to the scenario file. Empty: the scenario
	// file's folder.
	Dir string `yaml:"dir,omitempty"`
	// Request is sent to the system under test, once it is ready (a login): its status must be
	// one it expects, and its captures are the values the later steps and the load use by name
	// ("Bearer {{token}}").
	Request *LoadTarget `yaml:"request,omitempty"`
}

// Metrics says where the SUT's metrics come from: its Prometheus endpoint, scraped on a tick
// throughout the run (each replica's), or a Prometheus server that scrapes it, queried over the
// run's window once the load has ended; or that it has none (metrics: none), for a service that
// exports no metrics: nothing is scraped, and the verdicts that read its series are refused.
type Metrics struct {
	// Source is MetricsScrape, MetricsPrometheus or MetricsNone. Empty: prometheus when
	// Prometheus is given, else scrape.
	Source string `yaml:"source,omitempty"`
	// Path is the endpoint's path on the SUT's base URL (the scrape source). Empty: /metrics.
	Path string `yaml:"path,omitempty"`
	// Headers are sent with every scrape (Authorization: "Bearer ${METRICS_TOKEN}").
	Headers map[string]string `yaml:"headers,omitempty"`
	// Keep are the metric families kept in the record: full names or prefixes. The resilience
	// core's (resilience_), the mock's (httpfault_) and every series a metric assertion names
	// are always kept.
	Keep []string `yaml:"keep,omitempty"`
	// Prometheus is the server the prometheus source queries.
	Prometheus *PrometheusSource `yaml:"prometheus,omitempty"`
}

// The metrics sources.
const (
	MetricsScrape     = "scrape"
	MetricsPrometheus = "prometheus"
	MetricsNone       = "none"
)

// PrometheusSource is a Prometheus server that scrapes the SUT (every replica of it), read through
// its HTTP API: /api/v1/query_range over the run's window once the load has ended.
type PrometheusSource struct {
	// URL is the server's base URL (http://prometheus:9090).
	URL string `yaml:"url"`
	// Selector picks the SUT's targets: matchers of their labels in braces, '{job="shop"}'
	// (the waits read the targets' up series). The kept families' names are added to it.
	Selector string `yaml:"selector"`
	// Step is the range query's resolution. 0: the harness's scrape tick (1s).
	Step units.Duration `yaml:"step,omitempty"`
	// Headers are sent with every API request (Authorization: "Bearer ${PROM_TOKEN}").
	Headers map[string]string `yaml:"headers,omitempty"`
	// Wait bounds how long, once the load has ended, the harness waits for Prometheus to hold a
	// sample at or after the end from every replica. 0: 30s.
	Wait units.Duration `yaml:"wait,omitempty"`
	// ReplicaLabels are the labels that tell the replicas apart; their values, joined by "/",
	// name each replica in the record's instance label. Empty: [instance].
	ReplicaLabels []string `yaml:"replica_labels,omitempty"`
}

// HaltCondition is a safety stop: when the availability of every second for For stays below
// AvailabilityBelow, the faults are removed at once.
type HaltCondition struct {
	AvailabilityBelow units.Probability `yaml:"availability_below"`
	// For is how long it must hold. 0: 10s.
	For units.Duration `yaml:"for,omitempty"`
}

// Environment says which dependencies to start and where.
type Environment struct {
	// Services: any of postgres, redis, ollama. Empty: all three.
	Services []string `yaml:"services,omitempty"`
	// Backend: auto, local, docker, external or kubernetes. Empty: auto.
	Backend string `yaml:"backend,omitempty"`
	// External describes services that already run (staging), for the external backend.
	External *service.External `yaml:"external,omitempty"`
	// Kubernetes describes services that run in a cluster, for the kubernetes backend: faults
	// become Chaos Mesh objects (docs/kubernetes.md).
	Kubernetes *service.Kubernetes `yaml:"kubernetes,omitempty"`
	// Images override the docker backend's images.
	Images service.Images `yaml:"images,omitempty"`
	// Postgres names the database the environment's Postgres is made with (its user, password
	// and database). Empty: shakedown for each.
	Postgres service.Database `yaml:"postgres,omitempty"`
	// Ollama sets the mock Ollama's timing and scheduler (the local and docker backends).
	Ollama *MockOllama `yaml:"ollama,omitempty"`
}

// MockOllama is the mock Ollama's model timing and Ollama's scheduler settings. Every zero value
// is the mock's default: no delays, and Ollama's own parallelism (1), queue (512) and
// keep-alive (5m).
type MockOllama struct {
	// TimeToFirstToken and TokenInterval time each answer like a model's.
	TimeToFirstToken units.Duration `yaml:"time_to_first_token,omitempty"`
	TokenInterval    units.Duration `yaml:"token_interval,omitempty"`
	// NumParallel is how many requests a model serves at a time (OLLAMA_NUM_PARALLEL); the rest
	// queue. -1: no limit.
	NumParallel int `yaml:"num_parallel,omitempty"`
	// MaxQueue is how many requests may wait for a loading model (OLLAMA_MAX_QUEUE).
	MaxQueue int `yaml:"max_queue,omitempty"`
	// LoadDuration is how long a model takes to load (first use, and after it was unloaded).
	LoadDuration units.Duration `yaml:"load_duration,omitempty"`
	// KeepAlive is how long a model stays loaded after its last request (OLLAMA_KEEP_ALIVE).
	KeepAlive units.Duration `yaml:"keep_alive,omitempty"`
}

// SUT is the system under test: exactly one of Builtin, Command and URL.
type SUT struct {
	// Builtin names a system the harness runs in its own process, from the builtins the run is
	// handed (the shakedown command and harnesstest hand in agentd, the reference service).
	Builtin string `yaml:"builtin,omitempty"`
	// Args are the builtin's flags (agentd's, e.g. --no-breakers), or more arguments of Command.
	Args []string `yaml:"args,omitempty"`
	// Command is spawned with the proxied addresses in its environment.
	Command []string `yaml:"command,omitempty"`
	// Env are more variables for a command or a builtin, in the service's own names, built from
	// the services' parts: DB_HOST: "{{postgres.host}}", REDIS_ADDR: "{{redis.host}}:{{redis.port}}",
	// "{{port}}" the port the command must listen on (see service.Parts).
	Env map[string]string `yaml:"env,omitempty"`
	// Dir is a command's working folder (where it finds its ./.env, say), relative to the
	// scenario file. Empty: the harness's.
	Dir string `yaml:"dir,omitempty"`
	// URL is a service already running.
	URL string `yaml:"url,omitempty"`
	// Replicas is how many instances of Command run, each on its own {{port}} ({{replica}}
	// numbers them from 0); the load is spread over them round-robin. 0: 1.
	Replicas int `yaml:"replicas,omitempty"`
	// Port is the port of a command's first replica; replica i listens on Port+i (its {{port}}),
	// so that a Prometheus server can be configured to scrape them. 0: ports the OS picks.
	Port int `yaml:"port,omitempty"`
	// Ready is the readiness path, waited for before the warmup. Empty: /health/ready.
	Ready string `yaml:"ready,omitempty"`
	// ReadyTimeout bounds that wait. 0: 30s.
	ReadyTimeout units.Duration `yaml:"ready_timeout,omitempty"`
}

// LoadSpec is the traffic driven at the SUT during every phase.
type LoadSpec struct {
	// Rate is the request rate (the start rate of a linear ramp, the mean of a sine).
	Rate units.Rate `yaml:"rate"`
	// Pacer shapes the rate over time. Empty: constant.
	Pacer Pacer `yaml:"pacer,omitempty"`
	// Targets are sent round-robin.
	Targets []LoadTarget `yaml:"targets"`
	// Timeout of each request. 0: 10s.
	Timeout     units.Duration `yaml:"timeout,omitempty"`
	Workers     int            `yaml:"workers,omitempty"`
	MaxWorkers  int            `yaml:"max_workers,omitempty"`
	Connections int            `yaml:"connections,omitempty"`
}

// Pacer shapes the rate: constant, linear (from rate to to), steps, or sine (rate ± amplitude
// over period).
type Pacer struct {
	Type      string         `yaml:"type,omitempty"`
	To        units.Rate     `yaml:"to,omitempty"`
	Steps     []PacerStep    `yaml:"steps,omitempty"`
	Amplitude units.Rate     `yaml:"amplitude,omitempty"`
	Period    units.Duration `yaml:"period,omitempty"`
}

// PacerStep is one rate held for a duration.
type PacerStep struct {
	Rate     units.Rate     `yaml:"rate"`
	Duration units.Duration `yaml:"duration"`
}

// LoadTarget is one request.
type LoadTarget struct {
	// Name labels the target's results in the record, for assertions on one target. Targets may
	// share a method and URL: each result counts for the target that sent it.
	Name   string `yaml:"name,omitempty"`
	Method string `yaml:"method,omitempty"`
	// URL is relative to the SUT's base URL (/v1/agents) or absolute.
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers,omitempty"`
	Body    string            `yaml:"body,omitempty"`
	// Expect are the statuses that count as a success for availability, error_rate,
	// recovery_time, slo and the progress line: statuses (404), classes (2xx) or ranges
	// (200-299). Empty: 2xx and 3xx. Any other status is a failure.
	Expect []units.StatusRange `yaml:"expect,omitempty"`
	// Capture takes values from the target's successful answers, by name: where each is in the
	// answer (a JSON pointer such as /data/id, header:NAME, location). Another target uses the
	// latest one as {{name}} (POST an order, then GET /orders/{{order}}); until an answer has
	// given one, that target is skipped in the round. A target that captures uses no value a
	// target captures.
	Capture map[string]units.Locator `yaml:"capture,omitempty"`
	// Checks test each answer with an expected status beyond its status, as k6's check() does: a
	// JSON field present or equal, a substring, a regexp, a maximum size, a stream that ended
	// properly. An answer that fails one is a failed request, counted under the check's name.
	Checks []answer.Check `yaml:"checks,omitempty"`
}

// Phases are the run's three phases, in order.
type Phases struct {
	Warmup   units.Duration `yaml:"warmup"`
	Fault    units.Duration `yaml:"fault"`
	Recovery units.Duration `yaml:"recovery"`
	// RecoveryBudget is how soon after the faults end the steady state must be back. 0: the
	// whole recovery phase.
	RecoveryBudget units.Duration `yaml:"recovery_budget,omitempty"`
}
