package scenarios

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/units"
)

func TestLoadGood(t *testing.T) {
	t.Parallel()
	s, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "redis-latency" || s.Seed != 42 || s.Load.Rate.PerSecond() != 50 || s.Phases.Total() != 10*time.Second ||
		len(s.Load.Pacer.Steps) != 2 || s.Load.Targets[0].Headers["Content-Type"] != "application/json" || !strings.Contains(s.Source, "slow-redis") {
		t.Errorf("Load = %+v", s)
	}
	lat, ok := s.Faults[0].(*faults.Latency)
	if !ok || lat.Latency.D() != 250*time.Millisecond || lat.P() != 0.3 || lat.Target != "redis" || lat.Type != "latency" {
		t.Errorf("faults[0] = %#v", s.Faults[0])
	}
	if len(s.Assertions) != 3 || s.Assertions[2].Kind() != "metric" || s.Assertions[1].(*assertions.Latency).Max.D() != time.Second {
		t.Errorf("assertions = %#v", s.Assertions)
	}
	h, ok := s.Faults[1].(*faults.HTTP)
	if !ok || h.Action.Kind != httpfault.KindError || h.Status != 503 || h.P() != 0.1 {
		t.Errorf("faults[1] = %#v", s.Faults[1])
	}
}

const base = `name: x
sut: {builtin: agentd}
load: {rate: 10/s, targets: [{url: /}]}
phases: {warmup: 1s, fault: 5s, recovery: 1s}
`

// TestErrorsArePositioned: each bad file gives every one of its problems with file:line:column
// and field, and says what would be accepted.
func TestErrorsArePositioned(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown field and wrong types", `name: x
sut: {builtin: agentd}
lode: {rate: 10/s}
load: {rate: fast, targets: [{url: /, method: [GET]}]}
phases: {warmup: -1s, fault: 5s, recovery: 1s}
seed: -3
`, []string{
			`f.yaml:3:1: lode: unknown field; want one of assertions, description, environment, faults, halt, load, metrics, name, phases, seed, setup, short, sut`,
			`f.yaml:4:14: load.rate: "fast" is not a rate; want events per period like 200/s, 50/100ms or 3000/1m`,
			`f.yaml:4:47: load.targets[0].method: want a single value, got a list`,
			`f.yaml:5:18: phases.warmup: duration "-1s" is negative; want 0 or more`,
			`f.yaml:6:7: seed: "-3" is not a whole number of 0 or more`,
		}},
		{"fault types", base + `faults:
  - {name: a, target: redis}
  - {name: b, type: meteor, target: redis}
  - {name: c, type: latency, target: redis, latency: 1s, probability: 150%, color: red}
`, []string{
			`f.yaml:6:5: faults[0].type: missing; want one of latency, bandwidth,`,
			`f.yaml:7:21: faults[1].type: unknown fault type "meteor"; want one of latency`,
			`f.yaml:8:71: faults[2].probability: probability "150%" is outside 0..1`,
			`f.yaml:8:77: faults[2].color: unknown field; want one of duration, every, jitter, latency, name, probability, start, stream, target, times, type`,
		}},
		{"checks across fields", base + `environment: {services: [redis]}
faults:
  - {name: a, type: latency, target: postgres, latency: 1s, start: 4s, duration: 3s}
  - {name: a, type: proxy_down, target: redis}
`, []string{
			`f.yaml:7:38: faults[0].target: "postgres" is not a service of this scenario; want one of redis`,
			`f.yaml:7:68: faults[0].start: its window (4s + 3s) does not lie inside the fault phase (5s)`,
			`f.yaml:8:12: faults[1].name: "a" is used twice`,
		}},
		{"the mock Ollama's settings", base + `environment:
  ollama: {num_parallel: -2, max_queue: -1, token_interval: -5ms, time_to_first_token: 200ms}
`, []string{
			`f.yaml:6:26: environment.ollama.num_parallel: -2; want a positive number, -1 for no limit, or 0 for Ollama's default (1)`,
			`f.yaml:6:41: environment.ollama.max_queue: -1; want a positive number, or 0 for Ollama's default (512)`,
			`f.yaml:6:61: environment.ollama.token_interval: duration "-5ms" is negative; want 0 or more`,
		}},
		{"request faults", base + `faults:
  - {name: q, type: query, target: postgres, fault: error, sqlstate: "4000"}
  - {name: c, type: command, target: redis, fault: latency, match: "GET a b"}
`, []string{
			`f.yaml:6:70: faults[0].sqlstate: "4000"; want an error's SQLSTATE`,
			`faults[1].latency: 0s; want more than 0 for a latency fault`,
			`f.yaml:7:68: faults[1].match: "GET a b"; want a command and at most one key glob`,
		}},
		{"assertion decoding", base + `assertions:
  - {name: a, type: availability, min: 2}
  - {name: b, type: astrology}
`, []string{
			`f.yaml:6:40: assertions[0].min: probability "2" is outside 0..1`,
			`f.yaml:7:21: assertions[1].type: unknown assertion type "astrology"; want one of availability, latency, error_rate, throughput, metric`,
		}},
		{"assertion checks", base + `assertions:
  - {name: a, type: availability, min: 0}
  - {name: a, type: latency, quantile: 95%, max: 1s, phase: later}
`, []string{
			`f.yaml:6:40: assertions[0].min: 0%; want a share in (0, 1], e.g. 99.9%`,
			`f.yaml:7:61: assertions[1].phase: "later"; want warmup, fault, recovery or all`,
			`assertions[1].name: "a" is used twice`,
		}},
		{"missing sections", "name: x\n", []string{
			`f.yaml:1:1: sut: want exactly one of builtin, command and url`,
			`f.yaml:1:1: load.rate: missing; want a rate like 200/s`,
			`f.yaml:1:1: phases: the phases add up to nothing`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantParseErrors(t, tt.src, tt.want)
		})
	}
}

// wantParseErrors parses src as f.yaml and checks that the error names each of want.
func wantParseErrors(t *testing.T, src string, want []string) {
	t.Helper()
	_, err := Parse("f.yaml", []byte(src))
	if err == nil {
		t.Fatal("Parse accepted a bad file")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q; got:\n%v", w, err)
		}
	}
}

func TestAliasBombRefused(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 8; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("name: *a7\n")
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("Parse accepted an alias bomb")
	}
}

func FuzzParse(f *testing.F) {
	good, _ := fsRead("testdata/good.yaml")
	f.Add(good)
	f.Add([]byte(base))
	f.Add([]byte("faults: [{type: latency}, 3, [x]]"))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err == nil && s.Validate() != nil {
			t.Errorf("Parse accepted what Validate refuses: %v", s.Validate())
		}
	})
}

// TestExpect: a target's expected statuses are read as statuses, classes and ranges; anything
// else is refused at its position, saying what is accepted.
func TestExpect(t *testing.T) {
	t.Parallel()
	base := "name: x\nsut: {url: http://127.0.0.1:1}\nphases: {fault: 1s}\nload:\n  rate: 1/s\n  targets:\n"
	s, err := Parse("f.yaml", []byte(base+"    - {url: /a, expect: [200, 2xx, 400-404]}\n    - {url: /b}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := s.Load.Targets[0].Expect
	if len(got) != 3 || got[0] != (units.StatusRange{From: 200, To: 200}) || got[1] != (units.StatusRange{From: 200, To: 299}) || got[2] != (units.StatusRange{From: 400, To: 404}) {
		t.Errorf("expect = %v; want [200 2xx 400-404]", got)
	}
	if s.Load.Targets[1].Expect != nil {
		t.Errorf("a target without expect has %v; want none (2xx and 3xx)", s.Load.Targets[1].Expect)
	}
	_, err = Parse("f.yaml", []byte(base+"    - {url: /a, expect: [200, 6xx]}\n"))
	if want := `f.yaml:7:31: load.targets[0].expect[1]: status "6xx"; want a status (404), a class (2xx) or a range (200-299) within 100-599`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("expect: [200, 6xx] = %v; want %q", err, want)
	}
}

// TestVariables: ${VAR} is replaced from the environment, "$1" is left alone, $${ is a literal,
// an unset variable is an error at its position (each one), and the source keeps the text as
// written, so a secret never reaches a record; the value is among the scenario's secrets.
func TestVariables(t *testing.T) {
	t.Setenv("SHAKEDOWN_TEST_TOKEN", "s3cret")
	data := "name: vars\nsut: {url: http://127.0.0.1:1}\nphases: {fault: 1s}\nload:\n  rate: 1/s\n" +
		"  targets: [{url: /a, headers: {Authorization: Bearer ${SHAKEDOWN_TEST_TOKEN}}, body: 'cost: $1 $${literal}'}]\n"
	s, err := Parse("v.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	tg := s.Load.Targets[0]
	if tg.Headers["Authorization"] != "Bearer s3cret" || tg.Body != "cost: $1 ${literal}" {
		t.Errorf("headers %v, body %q; want the token expanded, $1 kept and $${ a literal", tg.Headers, tg.Body)
	}
	if strings.Contains(s.Source, "s3cret") || !strings.Contains(s.Source, "${SHAKEDOWN_TEST_TOKEN}") {
		t.Errorf("the source holds the expanded secret: %q", s.Source)
	}
	if !slices.Equal(s.Secrets, []string{"s3cret"}) {
		t.Errorf("secrets %q; want the variable's value, for the run to redact", s.Secrets)
	}
	_, err = Parse("v.yaml", []byte(strings.ReplaceAll(data, "SHAKEDOWN_TEST_TOKEN", "SHAKEDOWN_TEST_UNSET")+"description: ${SHAKEDOWN_TEST_UNSET2}\n"))
	for _, want := range []string{"v.yaml:6:55: ${SHAKEDOWN_TEST_UNSET} is not set in the environment", "v.yaml:7:14: ${SHAKEDOWN_TEST_UNSET2} is not set"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("unset variables: %v; want %q", err, want)
		}
	}
}

// TestUnknownPlaceholder: a placeholder that is not {{seq}}, {{uuid}}, {{random N}} or a value
// captured before it, in a target's URL, headers or body, is refused at its field (it used to be
// sent as written).
func TestUnknownPlaceholder(t *testing.T) {
	t.Parallel()
	data := "name: x\nsut: {url: http://127.0.0.1:1}\nphases: {fault: 1s}\nload:\n  rate: 1/s\n" +
		"  targets: [{url: '/runs/{{id}}', headers: {X-Key: '{{uuid}}', X-N: '{{random}}'}, body: '{\"n\": {{seq}}, \"s\": \"{{random 8}}\", \"x\": {{foo bar}}}'}]\n"
	_, err := Parse("p.yaml", []byte(data))
	for _, want := range []string{
		"load.targets[0].url: unknown placeholder {{id}}: no request captures id",
		"(none is captured before it)",
		"load.targets[0].headers.X-N: placeholder {{random}}: want {{random N}}",
		"load.targets[0].body: unknown placeholder {{foo bar}}",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v; want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "X-Key") {
		t.Errorf("{{uuid}} refused: %v", err)
	}
}

// TestCaptureChecks: captured values have names of their own and a place in the answer; a set-up
// request uses only earlier set-up captures, and no {{seq}}; a target uses set-up captures and
// other targets' (a target that captures uses none of the latter); a command step may follow a
// request step.
func TestCaptureChecks(t *testing.T) {
	t.Parallel()
	good := `name: x
sut: {url: http://127.0.0.1:1}
phases: {fault: 1s}
setup:
  - {command: [seed-db]}
  - request: {method: POST, url: /login, body: '{"key": "k"}', capture: {token: /data/accessToken}}
  - request: {url: /me, headers: {Authorization: 'Bearer {{token}}'}, capture: {user: 'header:X-User'}}
load:
  rate: 1/s
  targets:
    - {name: create, method: POST, url: /orders, headers: {Authorization: 'Bearer {{token}}'}, body: '{"by": "{{user}}", "ref": "{{uuid}}"}', capture: {order: /data/id}}
    - {name: read, url: '/orders/{{order}}', headers: {Authorization: 'Bearer {{token}}'}}
`
	if _, err := Parse("good.yaml", []byte(good)); err != nil {
		t.Fatalf("Parse = %v; want the chain accepted", err)
	}
	bad := `name: x
sut: {url: http://127.0.0.1:1}
phases: {fault: 1s}
setup:
  - request: {url: '/login/{{seq}}', headers: {X-Order: '{{order}}'}, capture: {token: data.token, seq: /x}}
  - {command: [seed-db]}
load:
  rate: 1/s
  targets:
    - {name: create, method: POST, url: /orders, capture: {order: /data/id, token: /t}}
    - {name: read, url: '/orders/{{order}}', capture: {item: /data/item}}
`
	_, err := Parse("bad.yaml", []byte(bad))
	for _, want := range []string{
		"setup[0].request.url: {{seq}} numbers the load's requests",
		"setup[0].request.headers.X-Order: {{order}} is captured by load.targets[0], whose answers come during the load, after the set-up",
		`setup[0].request.capture.seq: "seq" cannot name a captured value`,
		`setup[0].request.capture.token: "data.token"; want location, header:NAME or a JSON pointer`,
		`load.targets[0].capture.token: "token" is captured twice (first by setup[0].request)`,
		"load.targets[1].url: {{order}} is captured by load.targets[0], and this target captures too",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v; want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "setup[1]") {
		t.Errorf("a command step after a request step refused: %v", err)
	}
}

// TestSetupChecks: a step is exactly one of sql and command, sql needs postgres, and a command's
// placeholders are the services' parts ({{port}} is a replica's, known in sut.env only).
func TestSetupChecks(t *testing.T) {
	t.Parallel()
	data := "name: x\nenvironment: {services: [redis]}\nsut: {url: http://127.0.0.1:1}\nphases: {fault: 1s}\nload: {rate: 1/s, targets: [{url: /}]}\n" +
		"setup:\n  - {sql: m/, command: [x]}\n  - {sql: m/}\n  - {command: [migrate, '{{redis.url}}', '{{port}}']}\n"
	_, err := Parse("s.yaml", []byte(data))
	for _, want := range []string{"setup[0]: want exactly one of sql (a .sql file or a folder of them), command and request", "setup[1].sql: the environment has no postgres", "setup[2].command[2]: {{port}} is a command replica's own (its port, its number), known in sut.env only"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v; want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "command[1]") {
		t.Errorf("{{redis.url}} refused: %v", err)
	}
}

// TestEveryProblemAtOnce: the checks across fields run beside the decoding errors, so one
// validate shows every problem: an unknown assertion type does not hide a duplicate fault name,
// and a fault with a bad field still has its name checked. A field that did not decode is not
// also reported as missing.
func TestEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	data := `name: x
sut: {url: http://127.0.0.1:1}
phases: {warmup: 1s, fault: 4s, recovery: 1s}
load: {rate: fast, targets: [{url: /}]}
faults:
  - {name: slow, type: latency, target: redis, latency: 100ms}
  - {name: slow, type: latency, target: redis, latency: quick}
assertions:
  - {name: a, type: availabilty, min: 99%}
  - {name: b, type: availability, min: 99%, phase: nope}
`
	_, err := Parse("every.yaml", []byte(data))
	if err == nil {
		t.Fatal("Parse accepted a file with five problems")
	}
	for _, want := range []string{
		`load.rate: "fast" is not a rate`,
		`faults[1].latency:`,
		`faults[1].name: "slow" is used twice`,
		`assertions[0].type:`,
		`assertions[1].phase:`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v; want %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "load.rate: missing") {
		t.Errorf("a rate that did not decode is also reported missing: %v", err)
	}
}
