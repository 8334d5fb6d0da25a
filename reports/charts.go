package reports

import (
	"fmt"
	"html"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shakedown-dev/shakedown/record"
)

// The charts are inline SVG drawn here: no script, no font, nothing fetched. Every chart shares
// one time axis (the run's seconds) and shades every fault window.

const (
	chartW   = 960.0 // drawing width in SVG units
	chartL   = 56.0  // left margin for the y labels
	chartR   = 12.0
	chartTop = 18.0 // room for the fault labels
	chartBot = 22.0 // room for the x labels
)

var (
	colOK       = "#2e7d32"
	colDegraded = "#f9a825"
	colClient   = "#6d4c41"
	colServer   = "#c62828"
	colError    = "#6a1b9a"
	quantileCol = map[string]string{"p50": "#1565c0", "p95": "#ef6c00", "p99": "#c62828"}
	stateCol    = map[record.BreakerState]string{record.BreakerClosed: "#c8e6c9", record.BreakerOpen: "#ef9a9a", record.BreakerHalfOpen: "#ffe082"}
)

type axis struct {
	span   float64 // seconds
	height float64
	ymax   float64
}

func (a axis) x(sec float64) float64 {
	return chartL + (chartW-chartL-chartR)*math.Max(0, math.Min(sec, a.span))/a.span
}
func (a axis) y(v float64) float64 {
	return chartTop + (a.height-chartTop-chartBot)*(1-math.Max(0, math.Min(v, a.ymax))/a.ymax)
}

// svg starts a chart: the frame, the y label, the x ticks and the fault windows.
func (a axis) svg(b *strings.Builder, title, ylabel string, ticks []float64, format func(float64) string, windows []record.Window, labels bool) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s"><title>%s</title>`, chartW, a.height, html.EscapeString(title), html.EscapeString(title))
	labeled := map[string]bool{} // a repeating fault is labelled at its first window only
	for _, w := range windows {
		x0, x1 := a.x(w.Start.Seconds()), a.x(w.End.Seconds())
		fmt.Fprintf(b, `<rect class="fault" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>`, x0, chartTop, math.Max(x1-x0, 1), a.height-chartTop-chartBot,
			html.EscapeString(fmt.Sprintf("fault %s (%s on %s) %s to %s", w.Fault, w.Kind, w.Target, fmtSec(w.Start.Seconds()), fmtSec(w.End.Seconds()))))
		if labels && !labeled[w.Fault] {
			labeled[w.Fault] = true
			fmt.Fprintf(b, `<text class="fault-label" x="%.1f" y="12">%s</text>`, x0+2, html.EscapeString(w.Fault))
		}
	}
	for _, v := range ticks {
		y := a.y(v)
		fmt.Fprintf(b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/><text class="ylab" x="%.1f" y="%.1f">%s</text>`, chartL, chartW-chartR, y, y, chartL-4, y+3, html.EscapeString(format(v)))
	}
	step := niceStep(a.span / 10)
	for t := 0.0; t <= a.span+1e-9; t += step {
		x := a.x(t)
		fmt.Fprintf(b, `<line class="tick" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/><text class="xlab" x="%.1f" y="%.1f">%s</text>`, x, x, a.height-chartBot, a.height-chartBot+4, x, a.height-6, fmtSec(t))
	}
	fmt.Fprintf(b, `<text class="axis-title" x="4" y="12">%s</text>`, html.EscapeString(ylabel))
}

func fmtSec(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

// niceStep rounds a step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func yticks(max float64) (float64, []float64) {
	if max <= 0 {
		max = 1
	}
	step := niceStep(max / 4)
	top := math.Ceil(max/step) * step
	var out []float64
	for v := 0.0; v <= top+1e-9; v += step {
		out = append(out, v)
	}
	return top, out
}

func span(r *record.Record) float64 {
	return math.Max(r.Duration.Seconds(), float64(len(r.Seconds)))
}

// requestsChart: requests per second by outcome, stacked: ok (of which degraded), 4xx, 5xx, errors.
func requestsChart(r *record.Record, windows []record.Window) string {
	counts := make([]record.Counts, len(r.Seconds))
	for i, s := range r.Seconds {
		counts[i] = s.Counts // r.Seconds[i] starts i seconds in
	}
	return countsChart(r, counts, "requests per second by outcome", "req/s", 200, windows)
}

// targetCharts: each named target's requests per second by outcome, as requestsChart, when the
// load has more than one (one target's chart would be the chart of every request).
func targetCharts(r *record.Record, windows []record.Window) []string {
	if len(r.Targets) < 2 {
		return nil
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(r.Targets)) {
		out = append(out, countsChart(r, r.Targets[name].Seconds, "requests per second to "+name+" by outcome", name+" req/s", 120, windows))
	}
	return out
}

// countsChart draws counts (index i: the second that starts i seconds in) as stacked bars.
func countsChart(r *record.Record, counts []record.Counts, title, ylabel string, height float64, windows []record.Window) string {
	var b strings.Builder
	max := 0.0
	for _, c := range counts {
		max = math.Max(max, float64(c.Requests))
	}
	top, ticks := yticks(max)
	a := axis{span: span(r), height: height, ymax: top}
	a.svg(&b, title, ylabel, ticks, func(v float64) string { return fmt.Sprintf("%g", v) }, windows, true)
	bw := math.Max(a.x(1)-a.x(0)-1, 1)
	for i, c := range counts {
		x := a.x(float64(i))
		base := 0.0
		for _, part := range []struct {
			n     int64
			col   string
			label string
		}{{c.OK - c.Degraded, colOK, "ok"}, {c.Degraded, colDegraded, "degraded"}, {c.Client, colClient, "4xx"}, {c.Server, colServer, "5xx"}, {c.Errors, colError, "errors"}} {
			if part.n <= 0 {
				continue
			}
			y0, y1 := a.y(base), a.y(base+float64(part.n))
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d %s</title></rect>`, x, y1, bw, y0-y1, part.col, fmtSec(float64(i)), part.n, part.label)
			base += float64(part.n)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// latencyChart: p50, p95 and p99 of each second.
func latencyChart(r *record.Record, windows []record.Window) string {
	var b strings.Builder
	max := 0.0
	for _, s := range r.Seconds {
		max = math.Max(max, s.P99.D().Seconds()*1000)
	}
	top, ticks := yticks(max)
	a := axis{span: span(r), height: 200, ymax: top}
	a.svg(&b, "latency quantiles per second (ms)", "ms", ticks, func(v float64) string { return fmt.Sprintf("%g", v) }, windows, false)
	for _, q := range []string{"p50", "p95", "p99"} {
		var pts []string
		for _, s := range r.Seconds {
			if s.Requests == 0 {
				continue
			}
			v := map[string]record.Duration{"p50": s.P50, "p95": s.P95, "p99": s.P99}[q]
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", a.x(s.At.Seconds()+0.5), a.y(v.D().Seconds()*1000)))
		}
		fmt.Fprintf(&b, `<polyline class="line %s" fill="none" stroke="%s" points="%s"><title>%s</title></polyline>`, q, quantileCol[q], strings.Join(pts, " "), q)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// breakersChart: each breaker's state over time as a band: the core's breakers and those of
// another library whose series a breaker verdict maps (record.Breakers). With replicas, the
// state across them (the worst replica's).
func breakersChart(r *record.Record, windows []record.Window) string {
	title := "circuit breaker states"
	if len(r.ReplicaSeries) > 0 {
		title = "circuit breaker states across the replicas (the worst replica's)"
	}
	return statesChart(r, r.Series, title, "breakers", windows, false, func(s record.Series, m record.BreakerMapping) string { return s.Labels[m.Label] })
}

// replicaBreakersChart: each replica's own breakers, when the metrics came from more than one,
// as "redis @ 127.0.0.1:8081", by breaker then replica; nothing otherwise.
func replicaBreakersChart(r *record.Record, windows []record.Window) string {
	return statesChart(r, r.ReplicaSeries, "circuit breaker states per replica", "replicas", windows, true, func(s record.Series, m record.BreakerMapping) string {
		return s.Labels[m.Label] + " @ " + s.Labels[record.InstanceLabel]
	})
}

// statesChart draws the breaker state series among series as bands, one per series, labelled by
// name (left of the band, or inside it at its start); nothing when there is none.
func statesChart(r *record.Record, series []record.Series, title, ylabel string, windows []record.Window, inside bool, name func(record.Series, record.BreakerMapping) string) string {
	type band struct {
		name string
		s    record.Series
		m    record.BreakerMapping
	}
	var bands []band
	for _, m := range r.BreakerMappings() {
		for _, s := range series {
			if s.Name == m.Series {
				bands = append(bands, band{name(s, m), s, m})
			}
		}
	}
	if len(bands) == 0 {
		return ""
	}
	slices.SortFunc(bands, func(a, b band) int { return strings.Compare(a.name, b.name) })
	row := 22.0
	var b strings.Builder
	a := axis{span: span(r), height: chartTop + chartBot + row*float64(len(bands)), ymax: 1}
	a.svg(&b, title, ylabel, nil, nil, windows, false)
	for i, bd := range bands {
		y := chartTop + row*float64(i)
		pts := bd.s.Points
		for k, p := range pts {
			end := r.Duration.Seconds()
			if k+1 < len(pts) {
				end = pts[k+1].At.Seconds()
			}
			x0, x1 := a.x(p.At.Seconds()), a.x(end)
			st := bd.m.State(p.Value)
			fmt.Fprintf(&b, `<rect class="state %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s from %s</title></rect>`,
				st, x0, y+2, math.Max(x1-x0, 0.5), row-4, stateCol[st], html.EscapeString(bd.name), st, fmtSec(p.At.Seconds()))
		}
		if inside { // a long name, over the start of its band
			fmt.Fprintf(&b, `<text class="band-name" x="%.1f" y="%.1f">%s</text>`, chartL+4, y+row/2+3, html.EscapeString(bd.name))
		} else {
			fmt.Fprintf(&b, `<text class="band-label" x="%.1f" y="%.1f">%s</text>`, chartL-4, y+row/2+3, html.EscapeString(bd.name))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// retriesChart: retries per second (from record.RetryAttemptsSeries, every retryer) and degraded
// answers per second; nothing when there are neither.
func retriesChart(r *record.Record, windows []record.Window) string {
	rate := map[float64]float64{} // second -> retries
	seen := false
	for _, s := range r.Series {
		if s.Name != record.RetryAttemptsSeries {
			continue
		}
		seen = true
		for k := 1; k < len(s.Points); k++ {
			p, q := s.Points[k-1], s.Points[k]
			if dt := (q.At - p.At).Seconds(); dt > 0 && q.Value >= p.Value {
				rate[math.Floor(q.At.Seconds())] += (q.Value - p.Value) / dt
			}
		}
	}
	max := 0.0
	for _, v := range rate {
		max = math.Max(max, v)
	}
	for _, s := range r.Seconds {
		max = math.Max(max, float64(s.Degraded))
	}
	if !seen && max == 0 {
		return "" // a service without the core's metrics and no degraded answer: nothing to draw
	}
	top, ticks := yticks(max)
	var b strings.Builder
	a := axis{span: span(r), height: 160, ymax: top}
	a.svg(&b, "retries and degraded answers per second", "per s", ticks, func(v float64) string { return fmt.Sprintf("%g", v) }, windows, false)
	var deg, ret []string
	for _, s := range r.Seconds {
		deg = append(deg, fmt.Sprintf("%.1f,%.1f", a.x(s.At.Seconds()+0.5), a.y(float64(s.Degraded))))
	}
	secs := make([]float64, 0, len(rate))
	for s := range rate {
		secs = append(secs, s)
	}
	slices.Sort(secs)
	for _, s := range secs {
		ret = append(ret, fmt.Sprintf("%.1f,%.1f", a.x(s+0.5), a.y(rate[s])))
	}
	fmt.Fprintf(&b, `<polyline class="line degraded" fill="none" stroke="%s" points="%s"><title>degraded answers per second</title></polyline>`, colDegraded, strings.Join(deg, " "))
	fmt.Fprintf(&b, `<polyline class="line retries" fill="none" stroke="#00897b" stroke-dasharray="4 2" points="%s"><title>retries per second</title></polyline>`, strings.Join(ret, " "))
	b.WriteString(`</svg>`)
	return b.String()
}
