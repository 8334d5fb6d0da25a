package wirefault_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

func pgConn(t *testing.T, s *stage) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), s.url(t, service.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func redisAddr(t *testing.T, s *stage) string {
	return strings.TrimPrefix(strings.TrimSuffix(s.url(t, service.Redis), "/0"), "redis://")
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestErrorLeavesTheSessionAsTheServerWould: after an injected 40001 the connection answers the
// next query; inside a transaction the transaction is aborted (25P02 for the next statement), as
// after a real serialization failure, and ROLLBACK recovers it.
func TestErrorLeavesTheSessionAsTheServerWould(t *testing.T) {
	s := startStage(t, service.BackendLocal, 1)
	ctx := context.Background()
	c := pgConn(t, s)
	set(t, s.pg, wirefault.Fault{Name: "once", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindError, Match: "SELECT 42", Max: 1}})
	var v int
	if err := c.QueryRow(ctx, "SELECT 42").Scan(&v); sqlState(err) != "40001" {
		t.Fatalf("first SELECT 42: %v; want the injected 40001", err)
	}
	if err := c.QueryRow(ctx, "SELECT 42").Scan(&v); err != nil || v != 42 {
		t.Fatalf("the same connection after the error: %d, %v; want 42", v, err)
	}

	set(t, s.pg, wirefault.Fault{Name: "in-tx", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindError, Match: "SELECT 7", Max: 1}})
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 7"); sqlState(err) != "40001" {
		t.Fatalf("SELECT 7 in a transaction: %v; want 40001", err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); sqlState(err) != "25P02" {
		t.Fatalf("the next statement of the transaction: %v; want 25P02 (in failed sql transaction), as the real server answers", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, "SELECT 7").Scan(&v); err != nil || v != 7 {
		t.Fatalf("after ROLLBACK: %d, %v; want 7", v, err)
	}
}

// TestDropLosesTheTransaction: a drop on COMMIT cuts the connection before the server sees it;
// the driver sees the connection end, and the rows are not committed.
func TestDropLosesTheTransaction(t *testing.T) {
	s := startStage(t, service.BackendLocal, 1)
	ctx := context.Background()
	c := pgConn(t, s)
	if _, err := c.Exec(ctx, "CREATE TABLE runs (id int)"); err != nil {
		t.Fatal(err)
	}
	set(t, s.pg, wirefault.Fault{Name: "crash", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindDrop, Match: "commit"}})
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO runs VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}
	if err = tx.Commit(ctx); err == nil {
		t.Fatal("COMMIT succeeded; want the connection cut")
	}
	if chosen, _ := s.injected("crash"); len(chosen) != 1 || !chosen["commit"] {
		t.Fatalf("the drop chose %v; want COMMIT alone", chosen)
	}
	if !c.IsClosed() {
		t.Error("the connection is open after the drop")
	}
	s.pg.Remove("crash")
	var n int
	if err := pgConn(t, s).QueryRow(ctx, "SELECT count(*) FROM runs").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows after the cut COMMIT: %d, %v; want 0: the transaction is lost", n, err)
	}
}

// TestAdminShutdownClosesTheConnection: 57P01 is the backend terminating itself, FATAL, the
// connection closed, as an administrator's pg_terminate_backend.
func TestAdminShutdownClosesTheConnection(t *testing.T) {
	s := startStage(t, service.BackendLocal, 1)
	ctx := context.Background()
	c := pgConn(t, s)
	set(t, s.pg, wirefault.Fault{Name: "shutdown", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindError, SQLState: "57P01", Match: "SELECT $1"}})
	var v int
	err := c.QueryRow(ctx, "SELECT $1::int", 5).Scan(&v)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57P01" || pe.Severity != "FATAL" {
		t.Fatalf("SELECT = %v; want FATAL 57P01", err)
	}
	if _, err := c.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("the connection answers after FATAL 57P01; want it closed")
	}
}

// TestMaxInjectsExactlyN: with probability 1 and max 2, exactly 2 requests of 50 fail, on both
// protocols, over pools.
func TestMaxInjectsExactlyN(t *testing.T) {
	s := startStage(t, service.BackendLocal, 1)
	ctx := context.Background()
	c := pgConn(t, s)
	set(t, s.pg, wirefault.Fault{Name: "first-two", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindError, Max: 2}})
	rc := redis.NewClient(&redis.Options{Addr: redisAddr(t, s), PoolSize: 4, MaxRetries: -1})
	defer rc.Close()
	set(t, s.rd, wirefault.Fault{Name: "first-two-redis", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindError, Error: "BUSY", Match: "INCR"}})
	set(t, s.rd, wirefault.Fault{Name: "first-two-redis", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindError, Error: "BUSY", Match: "INCR", Max: 2}})
	var pgFailed, redisFailed int
	for i := range 50 {
		if _, err := c.Exec(ctx, fmt.Sprintf("SELECT %d", i)); err != nil {
			pgFailed++
		}
		if err := rc.Incr(ctx, "n").Err(); err != nil {
			if !strings.HasPrefix(err.Error(), "BUSY ") {
				t.Fatalf("INCR: %v; want BUSY", err)
			}
			redisFailed++
		}
	}
	if pgFailed != 2 || redisFailed != 2 {
		t.Errorf("failed: %d queries, %d commands; want exactly 2 of each", pgFailed, redisFailed)
	}
	if n, _ := rc.Get(ctx, "n").Int(); n != 48 {
		t.Errorf("n = %d; want 48: the 2 failed INCRs never ran", n)
	}
}

// TestPipelineFaultsOnlyTheChosenCommand: in a pipeline of ten GETs, a fault on one key answers
// that command's reply with the error and no other, in RESP2 and RESP3.
func TestPipelineFaultsOnlyTheChosenCommand(t *testing.T) {
	s := startStage(t, service.BackendLocal, 1)
	ctx := context.Background()
	set(t, s.rd, wirefault.Fault{Name: "k5", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindError, Error: "READONLY", Match: "GET k5"}})
	for _, proto := range []int{2, 3} {
		rc := redis.NewClient(&redis.Options{Addr: redisAddr(t, s), Protocol: proto, MaxRetries: -1})
		if err := rc.Set(ctx, "k5", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		cmds, _ := rc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range 10 {
				p.Get(ctx, fmt.Sprintf("k%d", i))
			}
			return nil
		})
		for i, cmd := range cmds {
			err := cmd.Err()
			switch {
			case i == 5 && (err == nil || !strings.HasPrefix(err.Error(), "READONLY ")):
				t.Errorf("RESP%d: GET k5 = %v; want READONLY", proto, err)
			case i != 5 && !errors.Is(err, redis.Nil):
				t.Errorf("RESP%d: GET k%d = %v; want nil (no such key)", proto, i, err)
			}
		}
		rc.Close()
	}
}

// TestLatencySurvivesAnotherToxic: a command held by a latency fault is delivered once, whole,
// when Toxiproxy interrupts the stage to add another toxic during the delay.
func TestLatencySurvivesAnotherToxic(t *testing.T) {
	s := startStage(t, service.BackendLocal, 1)
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: redisAddr(t, s), MaxRetries: -1})
	defer rc.Close()
	if err := rc.Set(ctx, "slow:1", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	decided := make(chan struct{}, 1)
	set(t, s.rd, wirefault.Fault{Name: "slow", Probability: 1, Action: wirefault.Action{Kind: wirefault.KindLatency, Latency: units.Duration(300 * time.Millisecond), Match: "GET slow:*"}})
	go func() {
		for {
			if _, n := s.injected("slow"); n > 0 {
				decided <- struct{}{}
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	start := time.Now()
	got := make(chan error, 1)
	go func() {
		v, err := rc.Get(ctx, "slow:1").Result()
		if err == nil && v != "v" {
			err = fmt.Errorf("value %q", v)
		}
		got <- err
	}()
	<-decided
	svc, _ := s.e.Service(service.Redis)
	if err := svc.Proxy.AddToxic(ctx, faults.Toxic{Name: "other", Type: "latency", Stream: "upstream", Attributes: map[string]any{"latency": 0}}); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("GET slow:1: %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("GET slow:1 took %s; want the 300ms delay", d)
	}
	if err := rc.Ping(ctx).Err(); err != nil {
		t.Errorf("PING after: %v", err)
	}
}
