package units

import (
	"strconv"
	"time"
)

// FormatPercent writes a share as a percentage with up to four significant digits: 0.9995 is
// "99.95%" (three would round it to "100%", hiding a missed 99.99% objective), 0.002 is "0.2%".
func FormatPercent(f float64) string {
	p := f * 100
	if p >= 1e4 || p <= -1e4 { // four figures would need an exponent: whole percents
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(p, 'g', 4, 64) + "%"
}

// RoundDuration keeps about three significant figures of d, for people to read: 212ms, 1.23s,
// 12.3s, 412µs.
func RoundDuration(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Second:
		return d.Round(time.Second)
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
