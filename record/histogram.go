package record

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Histogram bucketing: bucket 0 holds values under 1µs; bucket i ≥ 1 holds values in
// [1µs·g^(i-1), 1µs·g^i) with g = 1.01, so any quantile is within 1% of the true value. The last
// bucket also holds everything above its lower bound (about 17 minutes).
const (
	histGrowth  = 1.01
	histBuckets = 2200
	histUnit    = float64(time.Microsecond)
)

var logGrowth = math.Log(histGrowth)

// Histogram is a log-bucketed latency histogram with about 1% relative error. The zero value is
// empty and ready to use; the read methods also accept a nil *Histogram as empty. It is not safe
// for concurrent use.
type Histogram struct {
	counts []uint64 // len histBuckets once anything was recorded
	total  uint64
	sum    time.Duration
	min    time.Duration
	max    time.Duration
}

func bucketOf(d time.Duration) int {
	if float64(d) < histUnit {
		return 0
	}
	i := 1 + int(math.Log(float64(d)/histUnit)/logGrowth)
	return min(i, histBuckets-1)
}

// upperBound is the largest value bucket i can hold (its exclusive upper bound).
func upperBound(i int) time.Duration {
	if i == 0 {
		return time.Microsecond
	}
	return time.Duration(histUnit * math.Pow(histGrowth, float64(i)))
}

// Record adds one value. Negative values count as zero.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	if h.counts == nil {
		h.counts = make([]uint64, histBuckets)
		h.min = d
	}
	h.counts[bucketOf(d)]++
	h.total++
	h.sum += d
	h.min = min(h.min, d)
	h.max = max(h.max, d)
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.total == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, histBuckets)
		h.min = o.min
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count returns the number of values recorded.
func (h *Histogram) Count() uint64 {
	if h == nil {
		return 0
	}
	return h.total
}

// Max returns the largest value recorded, or 0.
func (h *Histogram) Max() time.Duration {
	if h == nil {
		return 0
	}
	return h.max
}

// Min returns the smallest value recorded, or 0.
func (h *Histogram) Min() time.Duration {
	if h == nil {
		return 0
	}
	return h.min
}

// Mean returns the mean of the values recorded, or 0.
func (h *Histogram) Mean() time.Duration {
	if h == nil || h.total == 0 {
		return 0
	}
	return h.sum / time.Duration(h.total)
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1): the upper bound of the bucket that holds it, never
// more than the largest value recorded. It returns 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h == nil || h.total == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(max(upperBound(i), h.min), h.max)
		}
	}
	return h.max
}

// CountAtMost returns how many values were at most d, to the bucket: values in d's own bucket
// count as at most d. Use it for "share of requests under a threshold".
func (h *Histogram) CountAtMost(d time.Duration) uint64 {
	if h == nil || h.total == 0 {
		return 0
	}
	if d >= h.max {
		return h.total
	}
	var n uint64
	for i := 0; i <= bucketOf(d); i++ {
		n += h.counts[i]
	}
	return n
}

// histJSON is the JSON form: sparse buckets as [index, count] pairs.
type histJSON struct {
	Total   uint64      `json:"total"`
	SumNS   int64       `json:"sum_ns"`
	Min     Duration    `json:"min"`
	Max     Duration    `json:"max"`
	Buckets [][2]uint64 `json:"buckets"`
}

// MarshalJSON implements json.Marshaler.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	j := histJSON{Total: h.total, SumNS: int64(h.sum), Min: Duration(h.min), Max: Duration(h.max), Buckets: [][2]uint64{}}
	for i, c := range h.counts {
		if c > 0 {
			j.Buckets = append(j.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*h = Histogram{total: j.Total, sum: time.Duration(j.SumNS), min: j.Min.D(), max: j.Max.D()}
	var n uint64
	for _, p := range j.Buckets {
		if p[0] >= histBuckets {
			return fmt.Errorf("record: histogram bucket %d out of range 0..%d", p[0], histBuckets-1)
		}
		if h.counts == nil {
			h.counts = make([]uint64, histBuckets)
		}
		h.counts[p[0]] += p[1]
		n += p[1]
	}
	if n != j.Total {
		return fmt.Errorf("record: histogram buckets hold %d values but total says %d", n, j.Total)
	}
	return nil
}
