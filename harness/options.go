package harness

import (
	"context"
	"time"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/service"
)

// RunOptions tunes a run: what NewPlan resolves with the scenario. Every zero value stands for
// the documented default. What a run tells while it runs goes to the Observer given to Run.
type RunOptions struct {
	// Seed overrides the scenario's seed. 0: the scenario's, else a random one (printed in the
	// record with the command that replays the run).
	Seed uint64
	// Backend overrides the scenario's backend.
	Backend string
	// Short runs the scenario's short form (its short phases), if it has one.
	Short bool
	// SUTArgs are added to the scenario's sut.args (a builtin's flags, a command's arguments).
	SUTArgs []string
	// Builtins are the systems under test that can run inside the harness's process, by the
	// name a scenario's sut.builtin gives. The shakedown command and harnesstest hand in the
	// reference service as agentd; a go test hands in its own service the same way.
	Builtins Builtins
	// AllowTargets are the hosts not on this machine that the run may touch (--allow-target).
	AllowTargets []string
	// StateDir is the environment's state directory. Empty: env.StateDir().
	StateDir string
	// ScrapeTick is the metrics scraper's and the readiness probe's tick. 0: 1s.
	ScrapeTick time.Duration
	// Replay formats the command that replays the run with the seed it drew, for the record and
	// the report. nil: "seed N" alone (the shakedown command formats its own command line).
	Replay func(seed uint64) string
	// Kubernetes is the kubernetes backend (env/kube.Backend: Chaos Mesh through the cluster's
	// API), which the shakedown command hands in; a go test on that backend hands in its own.
	// nil: a scenario on that backend is refused.
	Kubernetes KubernetesBackend
	// Gate, shared by runs on the same machine, keeps each run's start-up and teardown off the
	// others' measured phases. nil: the run waits for nobody (harnesstest shares one gate
	// among the runs of a test binary).
	Gate *Gate
}

// KubernetesBackend is the kubernetes backend: it checks a scenario's faults against what
// Chaos Mesh can express before anything starts, and opens the engine that makes them. Its
// implementation (env/kube) is handed in, so that a run on the other backends does not build
// the Kubernetes client.
type KubernetesBackend interface {
	// Check refuses every fault the description cannot run, with the reason.
	Check(desc *service.Kubernetes, specs []faults.Spec) error
	// Open connects to the cluster, refuses a context not in allow, and sweeps what dead runs
	// left. The harness closes the engine (faults.Closer) when the run ends, deleting what is
	// left of the run.
	Open(ctx context.Context, desc *service.Kubernetes, allow []string, scenario string) (faults.Engine, error)
}
