package harness

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// tagHeader carries a request's target (its index) from the targeter to the load's transport,
// which takes it off before the request leaves: the system under test never sees it.
const tagHeader = "X-Shakedown-Target"

// seqHeader is the header in which Vegeta numbers each request as its result's Seq.
const seqHeader = "X-Vegeta-Seq"

// tagger tells each result which target sent it. A result carries the method and URL it was sent
// to, which two targets may share (a streamed and a plain call of one endpoint); so the targeter
// tags each request with its target, and the transport notes the target under the request's
// Vegeta sequence number, which its result carries.
type tagger struct {
	rs   []*request
	opt  loadOptions
	sent sync.Map // Vegeta's Seq -> *request, until its result is read
}

// newTagger tags each of rs with its index (request.tag and request.tagged).
func newTagger(rs []*request, opt loadOptions) *tagger {
	for i, r := range rs {
		r.tag = strconv.Itoa(i)
		r.tagged = r.t.Header.Clone()
		if r.tagged == nil {
			r.tagged = http.Header{}
		}
		r.tagged.Set(tagHeader, r.tag)
	}
	return &tagger{rs: rs, opt: opt}
}

// client is the load's HTTP client: Vegeta's (keep-alive, its dialer, opt's timeout and idle
// connections per host) over a transport that notes and takes off each request's tag.
func (t *tagger) client() *http.Client {
	conns := vegeta.DefaultConnections
	if t.opt.Connections > 0 {
		conns = t.opt.Connections
	}
	timeout := vegeta.DefaultTimeout
	if t.opt.Timeout > 0 {
		timeout = t.opt.Timeout
	}
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: dialer.DialContext, TLSClientConfig: vegeta.DefaultTLSConfig,
		MaxIdleConnsPerHost: conns}
	return &http.Client{Timeout: timeout, Transport: untag{t, tr}}
}

// sentBy returns the target that sent the request numbered seq, and forgets it; false when the
// request never reached the transport.
func (t *tagger) sentBy(seq uint64) (*request, bool) {
	v, ok := t.sent.LoadAndDelete(seq)
	if !ok {
		return nil, false
	}
	return v.(*request), true
}

// untag notes each request's target under its sequence number and sends it on without its tag.
type untag struct {
	t    *tagger
	next http.RoundTripper
}

func (u untag) RoundTrip(req *http.Request) (*http.Response, error) {
	tag := req.Header.Get(tagHeader)
	if tag == "" {
		return u.next.RoundTrip(req)
	}
	if i, err := strconv.Atoi(tag); err == nil && i >= 0 && i < len(u.t.rs) {
		if seq, err := strconv.ParseUint(req.Header.Get(seqHeader), 10, 64); err == nil {
			u.t.sent.Store(seq, u.t.rs[i])
		}
	}
	out := req.Clone(req.Context()) // a RoundTripper must not change the request it is given
	out.Header.Del(tagHeader)
	return u.next.RoundTrip(out)
}
