package env

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// StateDir is where runs keep what they started, so that the next start can sweep what a killed
// run left: $SHAKEDOWN_STATE_DIR, else $XDG_STATE_HOME/shakedown, else ~/.local/state/shakedown.
func StateDir() string {
	if d := os.Getenv("SHAKEDOWN_STATE_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "shakedown")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "shakedown")
	}
	return filepath.Join(os.TempDir(), "shakedown-state")
}

// runDir is one environment's folder under StateDir()/runs: a pid file naming the harness process,
// one file per child process group it started, and the servers' data.
type runDir struct{ path string }

func newRunDir(state string) (*runDir, error) {
	runs := filepath.Join(state, "runs")
	if err := os.MkdirAll(runs, 0o755); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	dir, err := os.MkdirTemp(runs, fmt.Sprintf("%d-", os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	os.Chmod(dir, 0o755) // servers that run as another user must reach their data below it
	if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	return &runDir{path: dir}, nil
}

// noteChild records a child process group, so a sweep can kill it if this run dies.
func (r *runDir) noteChild(name string, pid int) error {
	return os.WriteFile(filepath.Join(r.path, "child-"+name), []byte(strconv.Itoa(pid)), 0o644)
}

// tempDir makes a temporary folder outside the state directory (for servers that run as another
// user) and records it, so a sweep can remove it if this run dies.
func (r *runDir) tempDir(name string) (string, error) {
	d, err := os.MkdirTemp("", "shakedown-"+name+"-")
	if err != nil {
		return "", err
	}
	return d, os.WriteFile(filepath.Join(r.path, "dir-"+name), []byte(d), 0o644)
}

func (r *runDir) remove() error { return os.RemoveAll(r.path) }

// name returns the run folder's name, which labels the run's containers.
func (r *runDir) name() string { return filepath.Base(r.path) }

// Stale describes what a sweep found of a dead run.
type Stale struct {
	Dir      string
	Children []int    // process groups still alive, killed by the sweep
	TempDirs []string // temporary folders removed
}

// Sweep removes what dead runs left under state: it kills their child process groups that still
// live and removes their folders. A run is dead when the process in its pid file is gone. It
// returns what it found; runs of live harnesses are left alone.
func Sweep(state string) ([]Stale, error) {
	entries, err := os.ReadDir(filepath.Join(state, "runs"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var found []Stale
	var errs []error
	for _, e := range entries {
		dir := filepath.Join(state, "runs", e.Name())
		if pid, err := readPid(filepath.Join(dir, "pid")); err == nil && alive(pid) {
			continue
		}
		s := Stale{Dir: dir}
		children, _ := filepath.Glob(filepath.Join(dir, "child-*"))
		for _, c := range children {
			if pid, err := readPid(c); err == nil && alive(pid) {
				syscall.Kill(-pid, syscall.SIGKILL)
				s.Children = append(s.Children, pid)
			}
		}
		dirs, _ := filepath.Glob(filepath.Join(dir, "dir-*"))
		for _, d := range dirs {
			if b, err := os.ReadFile(d); err == nil && strings.HasPrefix(filepath.Base(string(b)), "shakedown-") {
				if err := os.RemoveAll(string(b)); err != nil {
					errs = append(errs, err)
				}
				s.TempDirs = append(s.TempDirs, string(b))
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
		}
		found = append(found, s)
	}
	return found, errors.Join(errs...)
}

func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// alive reports whether a process with that pid exists (and is not a zombie).
func alive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil && procState(pid) != 'Z'
}

// procState returns the state letter of /proc/<pid>/stat ('R', 'S', 'T', 'Z', ...), or 0 when it
// cannot be read. The state follows the command name in parentheses: "pid (comm) S ...", and the
// name may itself hold parentheses and spaces.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		return b[i+2]
	}
	return 0
}
