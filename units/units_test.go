package units

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"250ms", 250 * time.Millisecond, ""},
		{" 1m30s ", 90 * time.Second, ""},
		{"0", 0, ""},
		{"0s", 0, ""},
		{"250", 0, "not a duration"},
		{"", 0, "empty duration"},
		{"-1s", 0, "negative"},
		{"soon", 0, "want a number with a unit"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDuration(%q) error = %v; want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.D() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseProbability(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    float64
		wantErr string
	}{
		{"0.3", 0.3, ""},
		{"30%", 0.3, ""},
		{"0.5 %", 0.005, ""},
		{"1", 1, ""},
		{"100%", 1, ""},
		{"0", 0, ""},
		{"1.5", 0, "outside 0..1"},
		{"101%", 0, "outside 0..1"},
		{"-0.1", 0, "outside 0..1"},
		{"NaN", 0, "not a probability"},
		{"often", 0, "not a probability"},
	}
	for _, tt := range tests {
		got, err := ParseProbability(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseProbability(%q) error = %v; want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || math.Abs(got.F()-tt.want) > 1e-15 {
			t.Errorf("ParseProbability(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Rate
		perSec  float64
		wantErr string
	}{
		{"200/s", Rate{200, time.Second}, 200, ""},
		{"200", Rate{200, time.Second}, 200, ""},
		{"50/100ms", Rate{50, 100 * time.Millisecond}, 500, ""},
		{"3000/1m", Rate{3000, time.Minute}, 50, ""},
		{"60/m", Rate{60, time.Minute}, 1, ""},
		{"0/s", Rate{}, 0, "more than zero"},
		{"-5/s", Rate{}, 0, "more than zero"},
		{"10/fortnight", Rate{}, 0, "not a duration"},
		{"fast", Rate{}, 0, "not a rate"},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRate(%q) error = %v; want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want || got.PerSecond() != tt.perSec {
			t.Errorf("ParseRate(%q) = %+v (%v/s), %v; want %+v (%v/s)", tt.in, got, got.PerSecond(), err, tt.want, tt.perSec)
		}
	}
}

// TestJSONRoundTrip checks that every type reads back what it writes.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	type doc struct {
		D Duration    `json:"d"`
		P Probability `json:"p"`
		R Rate        `json:"r"`
	}
	in := doc{Duration(1500 * time.Millisecond), 0.25, Rate{50, 100 * time.Millisecond}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	if out != in {
		t.Errorf("round trip of %+v through %s = %+v", in, b, out)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"250ms", "30%", "0.3", "200/s", "50/100ms", "-1s", "1e309%", "9223372036854775807/1ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDuration(s); err == nil && d < 0 {
			t.Errorf("ParseDuration(%q) = %v; negative", s, d)
		}
		if p, err := ParseProbability(s); err == nil && (p < 0 || p > 1 || math.IsNaN(float64(p))) {
			t.Errorf("ParseProbability(%q) = %v; outside 0..1", s, p)
		}
		if r, err := ParseRate(s); err == nil {
			if r.Freq <= 0 || r.Per <= 0 {
				t.Errorf("ParseRate(%q) = %+v; not positive", s, r)
			}
			back, err := ParseRate(r.String())
			if err != nil || back != r {
				t.Errorf("ParseRate(%q).String() = %q reads back as %+v, %v", s, r.String(), back, err)
			}
		}
	})
}

func TestFormatPercent(t *testing.T) {
	t.Parallel()
	for f, want := range map[float64]string{0.9995: "99.95%", 0.999: "99.9%", 1: "100%", 0.002: "0.2%", 0: "0%", 0.123456: "12.35%", 300: "30000%", 12.345: "1234%"} {
		if got := FormatPercent(f); got != want {
			t.Errorf("FormatPercent(%g) = %q; want %q", f, got, want)
		}
	}
}

func TestRoundDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		212345 * time.Microsecond: "212ms", 1234567 * time.Microsecond: "1.23s", 12345 * time.Millisecond: "12.3s",
		123456 * time.Millisecond: "2m3s", 412345 * time.Nanosecond: "412µs", 1234567 * time.Nanosecond: "1.23ms",
	} {
		if got := RoundDuration(d).String(); got != want {
			t.Errorf("RoundDuration(%v) = %s; want %s", d, got, want)
		}
	}
}

func TestStatusRange(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]StatusRange{"404": {404, 404}, "2xx": {200, 299}, "4XX": {400, 499}, "200-204": {200, 204}, " 503 ": {503, 503}} {
		var r StatusRange
		if err := r.UnmarshalText([]byte(in)); err != nil || r != want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", in, r, err, want)
		}
	}
	for _, in := range []string{"", "99", "600", "6xx", "0xx", "300-200", "abc", "2x", "200-"} {
		var r StatusRange
		if err := r.UnmarshalText([]byte(in)); err == nil || !strings.Contains(err.Error(), "want a status (404), a class (2xx) or a range (200-299)") {
			t.Errorf("UnmarshalText(%q) = %v, %v; want an error naming the accepted forms", in, r, err)
		}
	}
	for _, r := range []StatusRange{{404, 404}, {200, 299}, {200, 204}} {
		if b, _ := r.MarshalText(); true {
			var back StatusRange
			if err := back.UnmarshalText(b); err != nil || back != r {
				t.Errorf("round trip of %v through %q = %v, %v", r, b, back, err)
			}
		}
	}
	for _, tt := range []struct {
		ranges []StatusRange
		code   int
		want   bool
	}{
		{nil, 200, true}, {nil, 302, true}, {nil, 403, false}, {nil, 503, false},
		{[]StatusRange{{200, 299}, {403, 403}}, 403, true}, {[]StatusRange{{200, 299}, {403, 403}}, 302, false},
	} {
		if got := Expected(tt.ranges, tt.code); got != tt.want {
			t.Errorf("Expected(%v, %d) = %v; want %v", tt.ranges, tt.code, got, tt.want)
		}
	}
}
