package harness

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"time"
)

// The machine is settled when, over settleWindows windows of settleWindow in a row, its CPUs
// were busy (user, system, interrupts, steal) less than settleBusy of the time and waited on
// I/O less than settleIOWait.
const (
	settleWindow  = 250 * time.Millisecond
	settleWindows = 2
	settleBusy    = 0.40
	settleIOWait  = 0.05
)

// MachineSettled waits, within the given time, until the machine is quiet: what start-ups left
// running (the disk flushes of initdb and of container layers, the container runtime's work
// after its API answered, which outlive the calls that started them, so a gate that keeps
// start-ups off measured phases cannot see them), or another run's cold start. A measurement
// that began in either saw seconds-long stalls. It reads Linux's /proc/stat; elsewhere, or when
// it cannot be read, it returns at once.
func MachineSettled(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	prev, ok := cpuTimes()
	if !ok {
		return nil
	}
	quiet := 0
	for quiet < settleWindows && time.Now().Before(deadline) {
		t := time.NewTimer(settleWindow)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		cur, ok := cpuTimes()
		if !ok {
			return nil
		}
		busy, iowait := cur.since(prev)
		prev = cur
		if busy < settleBusy && iowait < settleIOWait {
			quiet++
		} else {
			quiet = 0
		}
	}
	return nil
}

// cpuSample is the machine's CPU time so far, in /proc/stat's ticks.
type cpuSample struct{ busy, iowait, total uint64 }

// since returns the shares of the time between t0 and t that the CPUs were busy and waited on
// I/O (0 when no time passed).
func (t cpuSample) since(t0 cpuSample) (busy, iowait float64) {
	total := float64(t.total - t0.total)
	if total <= 0 {
		return 0, 0
	}
	return float64(t.busy-t0.busy) / total, float64(t.iowait-t0.iowait) / total
}

// cpuTimes reads the first line of /proc/stat: cpu user nice system idle iowait irq softirq steal.
func cpuTimes() (cpuSample, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuSample{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return cpuSample{}, false
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 9 || fields[0] != "cpu" {
		return cpuSample{}, false
	}
	var v [8]uint64
	for i := range v {
		n, err := strconv.ParseUint(fields[i+1], 10, 64)
		if err != nil {
			return cpuSample{}, false
		}
		v[i] = n
	}
	user, nice, system, idle, iowait, irq, softirq, steal := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	busy := user + nice + system + irq + softirq + steal
	return cpuSample{busy: busy, iowait: iowait, total: busy + idle + iowait}, true
}
