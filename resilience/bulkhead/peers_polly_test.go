package bulkhead

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// Cases of Polly's own suite, on this package's API. Polly v8 (Polly.Core) has no bulkhead of its
// own: its concurrency limiter is System.Threading.RateLimiting's ConcurrencyLimiter, whose
// behaviour is tested in .NET, not in Polly; so the behaviour cases come from Polly's v7 bulkhead
// suite, still in the repository (main branch as stored: test/Polly.Specs/Bulkhead/BulkheadSpecsBase.cs
// at 5aa9d31, BulkheadScenarios.cs and BulkheadSpecs.cs at 468ebb6), and the option checks also
// from test/Polly.RateLimiting.Tests/RateLimiterResiliencePipelineBuilderExtensionsTests.cs.
//
// How Polly's configuration maps onto ours: maxParallelization (v8: PermitLimit) is MaxConcurrent
// and maxQueuingActions (QueueLimit) MaxQueue; a queued action waits until a slot frees or it is
// cancelled, as ours do with MaxWait 0; BulkheadRejectedException is ErrFull, and
// onBulkheadRejected Observer.OnReject; BulkheadAvailableCount is MaxConcurrent - InFlight and
// QueueAvailableCount MaxQueue - Queued. Polly throws all the actions at the bulkhead at once and
// polls for the expected state; ours sends them one by one under testing/synctest (so that which
// action runs, queues or is rejected is known) and checks once every goroutine is blocked.

// Statuses of a traced action (Polly's TraceableActionStatus).
type actionStatus int

const (
	actionQueueing actionStatus = iota // in Acquire (Polly: StartRequested or QueueingForSemaphore)
	actionExecuting
	actionCompleted
	actionCancelled
	actionRejected
	actionFaulted
)

// tracedActions runs actions through a bulkhead and tells their statuses.
type tracedActions struct {
	b       *Bulkhead
	mu      sync.Mutex
	status  []actionStatus
	release []chan struct{}
	cancel  []context.CancelFunc
	wg      sync.WaitGroup
}

// start sends action i to the bulkhead: it runs until released or cancelled.
func (a *tracedActions) start(i int) {
	ctx, cancel := context.WithCancel(context.Background())
	a.mu.Lock()
	a.status = append(a.status, actionQueueing)
	a.release = append(a.release, make(chan struct{}))
	a.cancel = append(a.cancel, cancel)
	release := a.release[i]
	a.mu.Unlock()
	a.wg.Go(func() {
		_, err := Execute(ctx, a.b, func(ctx context.Context) (int, error) {
			a.set(i, actionExecuting)
			select {
			case <-release:
				return 0, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		})
		switch {
		case err == nil:
			a.set(i, actionCompleted)
		case errors.Is(err, ErrFull):
			a.set(i, actionRejected)
		case errors.Is(err, context.Canceled):
			a.set(i, actionCancelled)
		default:
			a.set(i, actionFaulted)
		}
	})
}

func (a *tracedActions) set(i int, s actionStatus) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.status[i] = s
}

// first returns the first action in status s.
func (a *tracedActions) first(s actionStatus) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, x := range a.status {
		if x == s {
			return i
		}
	}
	return -1
}

func (a *tracedActions) counts() map[actionStatus]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[actionStatus]int{}
	for _, s := range a.status {
		out[s]++
	}
	return out
}

// From test/Polly.Specs/Bulkhead/BulkheadSpecsBase.cs Should_control_executions_per_specification,
// over every case of test/Polly.Specs/Bulkhead/BulkheadScenarios.cs: all the actions thrown at the
// bulkhead, min(total, parallelization) execute, the next ones up to the queue's size queue, the
// rest are rejected; then, one at a time, a queueing action is cancelled (once, if the scenario
// says so), an executing one is cancelled (once), or the first executing one completes, and each
// time a queued action takes the freed slot, until all are done. After each step the counts of
// executing, queueing, rejected, completed and cancelled actions and the free slots and queue
// places are what Polly expects.
func TestPollyBulkheadScenarios(t *testing.T) {
	t.Parallel()
	for i, sc := range []struct {
		parallel, queue, total         int
		cancelQueuing, cancelExecuting bool
		scenario                       string
	}{
		{5, 0, 3, false, false, "A bulkhead, with no queue, not even oversubscribed."},
		{20, 0, 3, false, true, "A high capacity bulkhead, with no queue, not even oversubscribed; cancel some executing."},
		{3, 0, 4, false, false, "A bulkhead, with no queue, oversubscribed."},
		{3, 1, 5, false, false, "A bulkhead, with not enough queue to avoid rejections, oversubscribed."},
		{6, 3, 9, true, true, "A bulkhead, with not enough queue to avoid rejections, oversubscribed; cancel some queuing, and some executing."},
		{5, 3, 8, false, false, "A bulkhead, with enough queue to avoid rejections, oversubscribed."},
		{6, 3, 9, true, true, "A bulkhead, with enough queue to avoid rejections, oversubscribed; cancel some queuing, and some executing."},
		{1, 6, 5, true, true, "A very tight capacity bulkhead, but which allows a huge queue; enough for all actions to be gradually processed; cancel some queuing, and some executing."},
	} {
		t.Run(fmt.Sprintf("%d_parallel%d_queue%d_total%d", i, sc.parallel, sc.queue, sc.total), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				a := &tracedActions{b: mustNew(t, Config{MaxConcurrent: sc.parallel, MaxQueue: sc.queue})}
				for i := range sc.total {
					a.start(i)
					synctest.Wait()
				}
				executing := min(sc.total, sc.parallel)
				want := map[actionStatus]int{
					actionExecuting: executing,
					actionQueueing:  min(sc.queue, max(0, sc.total-sc.parallel)),
					actionRejected:  max(0, sc.total-sc.parallel-sc.queue),
				}
				check := func(step string) {
					t.Helper()
					got := a.counts()
					for _, s := range []actionStatus{actionExecuting, actionQueueing, actionRejected, actionCompleted, actionCancelled, actionFaulted} {
						if got[s] != want[s] {
							t.Fatalf("%s: %s: statuses %v; want %v", sc.scenario, step, got, want)
						}
					}
					if free, queueFree := sc.parallel-a.b.InFlight(), sc.queue-a.b.Queued(); free != sc.parallel-want[actionExecuting] || queueFree != sc.queue-want[actionQueueing] {
						t.Fatalf("%s: %s: %d slots and %d queue places free; want %d and %d", sc.scenario, step, free, queueFree,
							sc.parallel-want[actionExecuting], sc.queue-want[actionQueueing])
					}
				}
				check("all thrown at the bulkhead")
				// one of the queued (or executing) ones moves on
				promote := func() {
					if want[actionQueueing] > 0 {
						want[actionQueueing]--
					} else {
						want[actionExecuting]--
					}
				}
				cancelQueuing, cancelExecuting := sc.cancelQueuing, sc.cancelExecuting
				for want[actionExecuting] > 0 {
					switch {
					case cancelQueuing:
						a.cancel[a.first(actionQueueing)]()
						want[actionCancelled]++
						want[actionQueueing]--
						cancelQueuing = false
					case cancelExecuting:
						a.cancel[a.first(actionExecuting)]()
						want[actionCancelled]++
						promote()
						cancelExecuting = false
					default:
						close(a.release[a.first(actionExecuting)])
						want[actionCompleted]++
						promote()
					}
					synctest.Wait()
					check("a step")
				}
				a.wg.Wait()
				for _, cancel := range a.cancel {
					cancel()
				}
			})
		})
	}
}

// From test/Polly.Specs/Bulkhead/BulkheadSpecs.cs
// Should_call_onBulkheadRejected_with_passed_context: with its one slot taken, a call is rejected
// and onBulkheadRejected is told (Polly: the call's own context, with its operation key; ours: the
// bulkhead's name and the reason).
func TestPollyBulkheadOnRejected(t *testing.T) {
	t.Parallel()
	var told []string
	b := mustNew(t, Config{Name: "SomeKey", MaxConcurrent: 1, Observer: rejectFunc(func(name string, r Reason) { told = append(told, name+" "+string(r)) })})
	if err := b.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := Execute(context.Background(), b, func(context.Context) (int, error) { return 0, nil }); !errors.Is(err, ErrFull) {
		t.Fatalf("Execute = %v; want ErrFull", err)
	}
	if len(told) != 1 || told[0] != "SomeKey full" {
		t.Errorf("onRejected told %q; want [SomeKey full]", told)
	}
}

type rejectFunc func(name string, r Reason)

func (f rejectFunc) OnReject(name string, r Reason) { f(name, r) }

// From test/Polly.Specs/Bulkhead/BulkheadSpecs.cs
// Should_throw_when_maxParallelization_less_or_equal_to_zero,
// Should_throw_when_maxParallelization_less_or_equal_to_zero_and_no_maxQueuingActions and
// Should_throw_when_maxQueuedActions_less_than_zero, and
// test/Polly.RateLimiting.Tests/RateLimiterResiliencePipelineBuilderExtensionsTests.cs
// AddConcurrencyLimiter_InvalidOptions_Throws: negative limits are refused, both at once. Polly
// also refuses a maxParallelization of 0; ours takes 0 as the default of 10 slots.
func TestPollyBulkheadConfigValidation(t *testing.T) {
	t.Parallel()
	err := Config{MaxConcurrent: -10, MaxQueue: -10}.Validate()
	for _, want := range []string{"MaxConcurrent = -10", "MaxQueue = -10"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to say %q", err, want)
		}
	}
	if _, err := New(Config{MaxQueue: -1}); err == nil {
		t.Error("New accepted a negative queue")
	}
	if err := (Config{MaxConcurrent: 0, MaxQueue: 1}).Validate(); err != nil {
		t.Errorf("MaxConcurrent 0: %v; want it taken as the default (Polly: refused)", err)
	}
}
