package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/units"
)

//go:embed report.html.tmpl
var reportTmpl string

//go:embed style.css
var style string

var funcs = template.FuncMap{
	"dur": func(d record.Duration) string { return units.RoundDuration(d.D()).String() },
	"durp": func(d *record.Duration) string {
		if d == nil {
			return ""
		}
		return units.RoundDuration(d.D()).String()
	},
	"utc":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"css":    func() template.CSS { return template.CSS(style) },
	"sorted": func(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) },
	"pct":    units.FormatPercent,
}

var page = template.Must(template.New("report").Funcs(funcs).Parse(reportTmpl))

// HTML renders one self-contained page: no script, and nothing fetched (a Content-Security-Policy
// forbids it); the charts are inline SVG on one time axis with the fault windows shaded.
type HTML struct{}

func (HTML) File() string { return "report.html" }

type htmlData struct {
	*Journal
	Status  string
	Charts  []template.HTML
	Windows []record.Window
	Targets []targetRow
}

// targetRow is one named load target's results in one phase; or, for a target that sent no
// request, Unsent says why.
type targetRow struct {
	Name, Phase   string
	Counts        record.Counts
	P50, P95, P99 string
	Unsent        string
	// Checks says how many answers failed each check: "117 stream completed".
	Checks string
}

// targetRows are the named targets' results, by name, then phase in order.
func targetRows(r *record.Record) []targetRow {
	var rows []targetRow
	for _, name := range slices.Sorted(maps.Keys(r.Targets)) {
		st := r.Targets[name]
		if !st.Sent() {
			rows = append(rows, targetRow{Name: name, Phase: record.PhaseAll, Unsent: "sent no request: " + st.WhyUnsent()})
			continue
		}
		for _, phase := range record.Phases {
			c, ok := st.Counts[phase]
			if !ok {
				continue
			}
			row := targetRow{Name: name, Phase: phase, Counts: c}
			for _, check := range slices.Sorted(maps.Keys(c.FailedChecks)) {
				if row.Checks != "" {
					row.Checks += ", "
				}
				row.Checks += fmt.Sprintf("%d %s", c.FailedChecks[check], check)
			}
			if h := st.Latency[phase]; h != nil && h.Count() > 0 {
				q := func(f float64) string { return units.RoundDuration(h.Quantile(f)).String() }
				row.P50, row.P95, row.P99 = q(0.5), q(0.95), q(0.99)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func (HTML) Render(w io.Writer, j *Journal) error {
	r := j.Record
	windows := r.FaultWindows()
	d := htmlData{Journal: j, Status: j.Status(), Windows: windows, Targets: targetRows(r)}
	charts := append([]string{requestsChart(r, windows)}, targetCharts(r, windows)...)
	for _, c := range append(charts, latencyChart(r, windows), breakersChart(r, windows), replicaBreakersChart(r, windows), retriesChart(r, windows)) {
		if c != "" {
			d.Charts = append(d.Charts, template.HTML(c)) // built from escaped text and numbers
		}
	}
	return page.Execute(w, d)
}
