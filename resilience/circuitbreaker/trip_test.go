package circuitbreaker

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestTripConditions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		s       Config
		results []error // in order
		want    State
		wantWhy string
	}{
		{"default five consecutive failures", Config{}, []error{errBoom, errBoom, errBoom, errBoom, errBoom}, StateOpen, "5 consecutive failures"},
		{"a success breaks the streak", Config{ConsecutiveFailures: 3}, []error{errBoom, errBoom, nil, errBoom, errBoom}, StateClosed, ""},
		{"count window failure rate", Config{FailureRateThreshold: 0.5, WindowSize: 4}, []error{nil, errBoom, nil, errBoom}, StateOpen, "failure rate 50% of 4 calls"},
		{"count window below minimum calls", Config{FailureRateThreshold: 0.5, WindowSize: 10, MinimumCalls: 5}, []error{errBoom, errBoom, errBoom, errBoom}, StateClosed, ""},
		{"count window slides", Config{FailureRateThreshold: 0.5, WindowSize: 4}, []error{errBoom, nil, nil, nil, nil, errBoom}, StateClosed, ""},
		{"IsFailure decides", Config{ConsecutiveFailures: 2, IsFailure: func(err error) bool { return err != errBoom }}, []error{errBoom, errBoom, errBoom}, StateClosed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &recorder{}
			tt.s.Observer = r
			b := mustNew(t, tt.s)
			for i, err := range tt.results {
				if aerr := call(b, err); aerr != nil {
					t.Fatalf("call %d rejected: %v", i, aerr)
				}
			}
			wantState(t, b, tt.want)
			if tt.wantWhy != "" && (len(r.transitions) != 1 || !strings.Contains(r.transitions[0].Reason, tt.wantWhy)) {
				t.Errorf("transitions = %+v; want one whose reason has %q", r.transitions, tt.wantWhy)
			}
		})
	}
}

func TestTimeWindowNeedsMinimumCalls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{FailureRateThreshold: 0.5, WindowDuration: 10 * time.Second, MinimumCalls: 4})
		for range 3 {
			call(b, errBoom)
		}
		wantState(t, b, StateClosed)
		time.Sleep(11 * time.Second) // those three fall out of the window
		for range 3 {
			call(b, errBoom)
		}
		wantState(t, b, StateClosed)
		call(b, errBoom) // four in the window, all failed
		wantState(t, b, StateOpen)
	})
}

// TestFailureBurstStraddlingWindowBoundaryTrips pins the fixed-window pitfall: a burst split
// across two buckets (or two tumbling windows) must still be seen whole by a sliding window.
func TestFailureBurstStraddlingWindowBoundaryTrips(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{FailureRateThreshold: 0.8, WindowDuration: 10 * time.Second, MinimumCalls: 10})
		// Move to 500ms before a bucket (1s) boundary, then fail 5 times before it and 5 after.
		now := time.Now()
		time.Sleep(time.Second - time.Duration(now.UnixNano()%int64(time.Second)) - 500*time.Millisecond)
		for range 5 {
			call(b, errBoom)
		}
		wantState(t, b, StateClosed)
		time.Sleep(time.Second)
		for range 5 {
			call(b, errBoom)
		}
		wantState(t, b, StateOpen)
	})
}

func TestSlowCallRateTrips(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, Config{SlowCallRateThreshold: 0.5, SlowCallDuration: time.Second, WindowSize: 4})
		callFor(b, 10*time.Millisecond, nil)
		callFor(b, 2*time.Second, nil)
		callFor(b, 10*time.Millisecond, nil)
		wantState(t, b, StateClosed)
		callFor(b, 3*time.Second, nil) // 2 of 4 slow, though all succeeded
		wantState(t, b, StateOpen)
	})
}

func TestSettingsValidate(t *testing.T) {
	t.Parallel()
	s := Config{Name: "db", FailureRateThreshold: 1.5, SlowCallRateThreshold: 0.5, OpenBackoff: 0.5, HalfOpenProbes: -1, WindowSize: 5, MinimumCalls: 6}
	err := s.Validate()
	for _, want := range []string{
		`"db": FailureRateThreshold = 1.5; want 0 (off) or a share in (0, 1]`,
		"SlowCallDuration = 0s; want more than 0 when SlowCallRateThreshold is set",
		"OpenBackoff = 0.5; want 0 (fixed) or a multiplier of at least 1",
		"HalfOpenProbes = -1",
		"MinimumCalls = 6; want at most WindowSize (5)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to contain %q", err, want)
		}
	}
	if _, err := New(s); err == nil {
		t.Error("New accepted invalid settings")
	}
	if err := (Config{HalfOpenProbes: 70000}).Validate(); err == nil || !strings.Contains(err.Error(), "HalfOpenProbes = 70000; want 0 (1) to 65535") {
		t.Errorf("HalfOpenProbes past the word's 16 bits: %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: Validate() = %v; want nil", err)
	}
}
