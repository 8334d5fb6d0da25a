package reports

import (
	_ "embed"
	"html/template"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/shakedown-dev/shakedown/record"
)

//go:embed report.html.tmpl
var reportTmpl string

//go:embed style.css
var style string

var funcs = template.FuncMap{
	"dur": func(d record.Duration) string { return roundDur(d.D()).String() },
	"durp": func(d *record.Duration) string {
		if d == nil {
			return ""
		}
		return roundDur(d.D()).String()
	},
	"utc":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"css":    func() template.CSS { return template.CSS(style) },
	"sorted": func(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) },
	"pct":    func(f float64) string { return pct(f) },
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
}

func (HTML) Render(w io.Writer, j *Journal) error {
	r := j.Record
	windows := r.FaultWindows()
	d := htmlData{Journal: j, Status: j.Status(), Windows: windows}
	for _, c := range []string{requestsChart(r, windows), latencyChart(r, windows), breakersChart(r, windows), retriesChart(r, windows)} {
		if c != "" {
			d.Charts = append(d.Charts, template.HTML(c)) // built from escaped text and numbers
		}
	}
	return page.Execute(w, d)
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'g', 4, 64) + "%" }
