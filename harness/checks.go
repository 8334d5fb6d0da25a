package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shakedown-dev/shakedown/env"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/service"
)

// probeReady asks each replica's readiness URL on each tick until ctx ends, into
// record.ReadySeries (with replicas: each one's, and 1 across them only when every one answered
// 200), and records an event of kind "readiness" whenever a replica's answer changes ("200",
// "503", or the error).
func probeReady(ctx context.Context, bases []string, path string, tick time.Duration, rec *record.Recorder) {
	client := &http.Client{Timeout: tick}
	t := time.NewTicker(tick)
	defer t.Stop()
	store := newSeriesStore(nil, len(bases) > 1)
	last := make([]string, len(bases))
	answers := make([]string, len(bases))
	for {
		at := rec.Now()
		var wg sync.WaitGroup
		for i, base := range bases {
			wg.Go(func() {
				answers[i] = "no answer"
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
				if resp, err := client.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					answers[i] = strconv.Itoa(resp.StatusCode)
				}
			})
		}
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
		byInstance := map[string][]sample{}
		for i, answer := range answers {
			v := 0.0
			if answer == "200" {
				v = 1
			}
			byInstance[instanceOf(bases[i])] = []sample{{name: record.ReadySeries, value: v}}
			if answer != last[i] {
				rec.AddEvent(record.Event{At: at, Kind: record.EventReadiness, Subject: bases[i] + path, Value: answer})
				last[i] = answer
			}
		}
		store.put(rec, at, byInstance)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkDurability runs each durability check over one direct connection to Postgres: it looks for
// every write the SUT acknowledged (as the check's rule recognised them) with the check's query,
// and puts each outcome in the record under the check's name.
func checkDurability(ctx context.Context, checks []durabilityCheck, e *env.Env, rec *record.Recorder) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var conn *pgx.Conn
	connErr := "the environment has no postgres service"
	if pg, ok := e.Service(service.Postgres); ok {
		c, err := pgx.Connect(ctx, pg.DirectURL())
		if err == nil {
			defer c.Close(context.Background())
			conn, connErr = c, ""
		} else {
			connErr = fmt.Sprintf("connect to postgres directly: %v", err)
		}
	}
	for _, c := range checks {
		acks, total := rec.Acks(c.name)
		d := record.Durability{Query: c.query, Rule: c.rule.String(), Acknowledged: total, Error: connErr}
		if conn != nil {
			lookFor(ctx, conn, acks, &d)
			rec.AddEvent(record.Event{Kind: "durability", Subject: c.name, Value: fmt.Sprintf("acknowledged=%d missing=%d", d.Acknowledged, d.Missing)})
		}
		rec.SetDurability(c.name, d)
	}
}

// lookFor asks d's query for ids, in batches, and counts in d those it did not find.
func lookFor(ctx context.Context, conn *pgx.Conn, ids []string, d *record.Durability) {
	const batch = 10000
	for i := 0; i < len(ids); i += batch {
		part := ids[i:min(i+batch, len(ids))]
		found := map[string]bool{}
		rows, err := conn.Query(ctx, d.Query, part)
		if err != nil {
			d.Error = fmt.Sprintf("query %q: %v", d.Query, err)
			return
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				d.Error = fmt.Sprintf("query %q: %v", d.Query, err)
				return
			}
			found[id] = true
		}
		if err := rows.Err(); err != nil {
			d.Error = fmt.Sprintf("query %q: %v", d.Query, err)
			return
		}
		for _, id := range part {
			d.Checked++
			if !found[id] {
				d.Missing++
				if len(d.MissingIDs) < 20 {
					d.MissingIDs = append(d.MissingIDs, id)
				}
			}
		}
	}
}
