package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errReset = errors.New("read tcp 127.0.0.1:5432: connection reset by peer")

type doneRecord struct {
	attempts int
	err      error
}

func newRecordingRetrier() (*Retrier, *[]doneRecord) {
	var recs []doneRecord
	r := NewRetrier(func(attempts int, err error) {
		recs = append(recs, doneRecord{attempts, err})
	})
	return r, &recs
}

// failing returns a func that fails with errs in turn and then succeeds.
func failing(calls *int, errs ...error) func() error {
	return func() error {
		*calls++
		if *calls <= len(errs) {
			return errs[*calls-1]
		}
		return nil
	}
}

func TestRetrierRecovers(t *testing.T) {
	r, recs := newRecordingRetrier()
	calls := 0
	err := r.Run(context.Background(), failing(&calls, errReset, errReset))
	require.NoError(t, err)
	assert.Equal(t, 3, calls)
	assert.Equal(t, []doneRecord{{3, nil}}, *recs)
}

func TestRetrierGivesUpAfterThreeAttempts(t *testing.T) {
	r, recs := newRecordingRetrier()
	calls := 0
	err := r.Run(context.Background(), failing(&calls, errReset, errReset, errReset, errReset))
	require.ErrorIs(t, err, errReset, "the last failure is returned")
	assert.Equal(t, 3, calls)
	require.Len(t, *recs, 1)
	assert.Equal(t, 3, (*recs)[0].attempts)
}

func TestRetrierDoesNotRetry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, tc := range map[string]struct {
		ctx context.Context
		err error
	}{
		"no rows":           {context.Background(), fmt.Errorf("scan: %w", pgx.ErrNoRows)},
		"deadline exceeded": {context.Background(), fmt.Errorf("query: %w", context.DeadlineExceeded)},
		"canceled":          {context.Background(), context.Canceled},
		"caller gone":       {ctx, errReset},
	} {
		t.Run(name, func(t *testing.T) {
			r, recs := newRecordingRetrier()
			calls := 0
			err := r.Run(tc.ctx, failing(&calls, tc.err, tc.err, tc.err))
			assert.Error(t, err)
			assert.Equal(t, 1, calls)
			require.Len(t, *recs, 1)
			assert.Equal(t, 1, (*recs)[0].attempts)
		})
	}
}

func TestRetrierStopsAtDeadline(t *testing.T) {
	r, _ := newRecordingRetrier()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	calls := 0
	start := time.Now()
	err := r.Run(ctx, failing(&calls, errReset, errReset, errReset))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 1, calls, "the 25ms delay outlasts the deadline")
	assert.Less(t, time.Since(start), 200*time.Millisecond)
}

func TestObserveDBCall(t *testing.T) {
	m := NewMetrics()
	recovered := m.dbRetries.WithLabelValues("recovered")
	gaveUp := m.dbRetries.WithLabelValues("gave_up")

	m.ObserveDBCall(1, nil)
	m.ObserveDBCall(1, errReset)
	assert.Zero(t, testutil.ToFloat64(recovered), "first-attempt calls count in neither")
	assert.Zero(t, testutil.ToFloat64(gaveUp))

	m.ObserveDBCall(2, nil)
	m.ObserveDBCall(3, pgx.ErrNoRows)
	m.ObserveDBCall(3, errReset)
	assert.Equal(t, 2.0, testutil.ToFloat64(recovered))
	assert.Equal(t, 1.0, testutil.ToFloat64(gaveUp))
}

func TestRetrierFeedsMetrics(t *testing.T) {
	m := NewMetrics()
	r := NewRetrier(m.ObserveDBCall)

	calls := 0
	require.NoError(t, r.Run(context.Background(), failing(&calls, errReset)))
	calls = 0
	require.Error(t, r.Run(context.Background(), failing(&calls, errReset, errReset, errReset)))
	calls = 0
	require.NoError(t, r.Run(context.Background(), failing(&calls)))

	assert.Equal(t, 1.0, testutil.ToFloat64(m.dbRetries.WithLabelValues("recovered")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.dbRetries.WithLabelValues("gave_up")))
}
