package fallback

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type count struct{ n int }

func (c *count) OnFallback(string, error) { c.n++ }

func TestDo(t *testing.T) {
	t.Parallel()
	down := errors.New("ollama down")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name         string
		ctx          context.Context
		when         func(string, error) bool
		fallbackErr  error
		v            string
		err          error
		want         Result[string]
		wantErr      error
		wantObserved int
	}{
		{"success passes", context.Background(), nil, nil, "real", nil, Result[string]{Value: "real"}, nil, 0},
		{"error falls back", context.Background(), nil, nil, "", down, Result[string]{Value: "cached", Degraded: true, Cause: down}, nil, 1},
		{"caller cancellation does not", cancelled, nil, nil, "", context.Canceled, Result[string]{}, context.Canceled, 0},
		{"predicate on the value", context.Background(), func(v string, err error) bool { return v == "" }, nil, "", nil, Result[string]{Value: "cached", Degraded: true}, nil, 1},
		{"fallback fails too", context.Background(), nil, errors.New("no cache"), "", down, Result[string]{}, down, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			obs := &count{}
			f, err := New(Config[string]{Name: "answer", When: tt.when, Observer: obs, Fallback: func(context.Context, error) (string, error) {
				return "cached", tt.fallbackErr
			}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.Do(tt.ctx, func(context.Context) (string, error) { return tt.v, tt.err })
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) || obs.n != tt.wantObserved {
				t.Errorf("Do = %+v, %v (observed %d); want %+v, %v (%d)", got, err, obs.n, tt.want, tt.wantErr, tt.wantObserved)
			}
		})
	}
}

func ExampleFallback_Do() {
	f, _ := New(Config[string]{Name: "answer", Fallback: Value("I can't answer right now.")})
	res, err := f.Do(context.Background(), func(context.Context) (string, error) {
		return "", errors.New("ollama: 503 Service Unavailable")
	})
	fmt.Printf("%q degraded=%v err=%v cause=%v\n", res.Value, res.Degraded, err, res.Cause)
	// Output: "I can't answer right now." degraded=true err=<nil> cause=ollama: 503 Service Unavailable
}
