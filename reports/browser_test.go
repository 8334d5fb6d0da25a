package reports

import (
	"bytes"
	"context"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// chromium finds Debian's chromium. Missing, the test is skipped, except in CI (CI set), where
// .ci/run installs it and its absence is a failure.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH; scripts/install-deps.sh installs Debian's chromium package")
	}
	t.Skip("no chromium on PATH (Debian: apt-get install chromium)")
	return ""
}

// chromiumOwn are the hosts Chromium itself calls in the background (component updates, time,
// accounts), whatever page it shows: not requests of the page.
var chromiumOwn = map[string]bool{"accounts.google.com": true, "update.googleapis.com": true, "clients2.google.com": true,
	"clients2.googleusercontent.com": true, "optimizationguide-pa.googleapis.com": true, "content-autofill.googleapis.com": true,
	"safebrowsingohttpgateway.googleapis.com": true, "redirector.gvt1.com": true, "edgedl.me.gvt1.com": true}

// requestHost returns the host of a proxy request's first line ("CONNECT h:443 ..." or
// "GET http://h/path ...").
func requestHost(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return ""
	}
	h := strings.TrimPrefix(strings.TrimPrefix(f[1], "http://"), "https://")
	h, _, _ = strings.Cut(h, "/")
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}

// proxyCounter is a listener standing in for an HTTP proxy: Chromium pointed at it sends every
// network request here. It counts the requests that are not Chromium's own background calls,
// logs every one, and closes them.
func proxyCounter(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetReadDeadline(time.Now().Add(time.Second))
			buf := make([]byte, 512)
			k, _ := c.Read(buf)
			c.Close()
			line := strings.SplitN(string(buf[:k]), "\r\n", 2)[0]
			if !chromiumOwn[requestHost(line)] {
				n.Add(1)
				t.Logf("a request of the page: %q", line)
			}
		}
	}()
	return ln.Addr().String(), &n
}

// headless runs chromium on a file with every request of the page sent to proxy, and returns
// its DOM after load (and writes a screenshot when shot is set).
func headless(t *testing.T, bin, proxy, page, shot string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
		"--proxy-server=http://" + proxy, "--proxy-bypass-list=<-loopback>", "--user-data-dir=" + t.TempDir(),
		"--window-size=1100,1800", "--virtual-time-budget=2000"}
	if shot != "" {
		args = append(args, "--screenshot="+shot)
	} else {
		args = append(args, "--dump-dom")
	}
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+page)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	return out.String()
}

// TestHTMLInChromium opens the report in headless Chromium: the charts are in the DOM and drawn
// (the screenshot has the chart's green bars), and the page made no network request. The check
// is shown to work: a page that loads an image from the network is seen doing it. The screenshot
// is kept as an artefact (go test -artifacts).
func TestHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	bin := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := (HTML{}).Render(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	proxy, requests := proxyCounter(t)

	dom := headless(t, bin, proxy, page, "")
	if n := strings.Count(dom, `<svg class="chart"`); n != 6 {
		t.Errorf("the DOM has %d charts; want 6 (requests, one per target, latency, breakers, retries)", n)
	}
	if !strings.Contains(dom, `id="verdict"`) || !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the DOM lacks the verdict or shows the scenario's name as markup")
	}
	shot := filepath.Join(t.ArtifactDir(), "report.png")
	headless(t, bin, proxy, page, shot)
	if n := requests.Load(); n != 0 {
		t.Errorf("the report made %d network requests; want none", n)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	green := 0 // #2e7d32, the ok bars
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == 0x2e && g>>8 == 0x7d && bl>>8 == 0x32 {
				green++
			}
		}
	}
	if green < 2000 {
		t.Errorf("the screenshot has %d pixels of the ok bars' green; want the requests chart drawn", green)
	}

	// The detector works: a page fetching an image over the network is caught.
	leaky := filepath.Join(dir, "leaky.html")
	os.WriteFile(leaky, []byte(`<!doctype html><img src="http://example.invalid/x.png">`), 0o644)
	headless(t, bin, proxy, leaky, "")
	if requests.Load() == 0 {
		t.Error("a page loading an image from the network made no connection to the proxy: the check sees nothing")
	}
}
