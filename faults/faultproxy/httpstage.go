package faultproxy

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Shopify/toxiproxy/v2/stream"
	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
)

// The HTTP stage is a pair of toxics the server puts on every proxy as it creates it: the
// request half on the upstream (client to service) stream, the response half on the downstream
// one. A connection whose first line is an HTTP/1.x request line is served by an HTTP/1.1
// reverse proxy inside the stage, whose one connection to the service is the proxy's own (the
// bytes still go through the toxics after the stage, and through Toxiproxy's connection to the
// upstream): the proxy's HTTP fault injector (httpfault's middleware, the same code as the
// harness's mock and reverse proxy) decides each request. Any other connection passes as it
// comes.
//
// Toxiproxy gives a toxic no handle on the other direction of its connection. The two halves
// find each other by the order Toxiproxy makes their states in: for each connection it accepts,
// it starts the upstream link and then the downstream link, one after the other on the proxy's
// accept goroutine, under the proxy's toxic lock (toxiproxy v2.12.0, proxy.go and
// toxic_collection.go's StartLink), so the response half's state is made right after its own
// request half's. A request half whose response half never comes (a connection opened while the
// stage was being put on) passes its connection as it comes.
const (
	// HTTPStageType is the toxic type of the HTTP stage's halves.
	HTTPStageType = "shakedown_http_stage"
	// HTTPRequests and HTTPResponses name the two halves on each proxy.
	HTTPRequests  = "shakedown_http_requests"
	HTTPResponses = "shakedown_http_responses"
)

const (
	sideRequests  = "requests"
	sideResponses = "responses"
)

// pairWait bounds how long a request half that saw an HTTP request waits for its response half.
const pairWait = time.Second

// maxRequestLine bounds the bytes a request half reads before it tells HTTP from other traffic.
const maxRequestLine = 8 << 10

var (
	httpStages   sync.Map // key → *httpStage
	httpStageSeq atomic.Uint64
)

// httpStage is one proxy's HTTP stage: its injector in use, and the HTTP server its
// connections are relayed through.
type httpStage struct {
	key string
	in  atomic.Pointer[httpfault.Injector] // nil: no fault
	ln  *connListener
	srv *http.Server

	mu      sync.Mutex
	adding  bool     // the halves are being put on: states made now belong to open connections
	waiting []*relay // request halves waiting for their response half
}

type relayKey struct{}

func newHTTPStage() *httpStage {
	s := &httpStage{key: fmt.Sprintf("http-%d", httpStageSeq.Add(1)), ln: newConnListener()}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(s.serve),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, relayKey{}, c.(*side).r)
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go s.srv.Serve(s.ln)
	httpStages.Store(s.key, s)
	return s
}

// use puts in to deciding the stage's requests from the next one on (nil: none).
func (s *httpStage) use(in *httpfault.Injector) { s.in.Store(in) }

// close ends the stage and every connection relayed through it.
func (s *httpStage) close() {
	httpStages.Delete(s.key)
	s.srv.Close()
}

// attributes returns the attributes of the stage's half (sideRequests or sideResponses).
func (s *httpStage) attributes(half string) map[string]any {
	return map[string]any{"stage": s.key, "side": half}
}

// putting brackets the putting on of the halves: states made meanwhile are those of
// connections already open, which pass as they come.
func (s *httpStage) putting(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.adding = on
	s.waiting = nil
}

func (s *httpStage) serve(w http.ResponseWriter, r *http.Request) {
	rl := r.Context().Value(relayKey{}).(*relay)
	rl.inflight.Add(1)
	defer rl.inflight.Add(-1)
	if in := s.in.Load(); in != nil {
		in.Middleware(rl.proxy).ServeHTTP(w, r)
		return
	}
	rl.proxy.ServeHTTP(w, r)
}

// httpStageToxic is a half of the stage as a Toxiproxy toxic.
type httpStageToxic struct {
	Stage string `json:"stage"`
	Side  string `json:"side"`
}

// halfState is a half's state for one connection: its relay (nil: the connection passes), and
// a chunk it was sending when Toxiproxy interrupted it.
type halfState struct {
	r       *relay
	pending *stream.StreamChunk
	line    []byte // the request half: the first bytes, until the request line is whole

	inputDone, outClosed bool
}

// NewState is Toxiproxy's hook for a connection's state: it pairs the connection's halves.
func (t *httpStageToxic) NewState() any {
	v, ok := httpStages.Load(t.Stage)
	if !ok {
		return &halfState{}
	}
	s := v.(*httpStage)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.adding {
		return &halfState{}
	}
	if t.Side == sideRequests {
		r := newRelay(s)
		s.waiting = append(s.waiting, r)
		return &halfState{r: r}
	}
	if len(s.waiting) == 0 {
		return &halfState{}
	}
	// The last request half is this connection's; any before it lost their response half.
	r := s.waiting[len(s.waiting)-1]
	s.waiting = nil
	close(r.paired)
	return &halfState{r: r}
}

func (t *httpStageToxic) Pipe(stub *toxics.ToxicStub) {
	st, _ := stub.State.(*halfState)
	if st == nil || st.r == nil {
		new(toxics.NoopToxic).Pipe(stub)
		return
	}
	if t.Side == sideRequests {
		st.r.requests(stub, st)
	} else {
		st.r.responses(stub, st)
	}
}

// The relay's modes.
const (
	modeUnknown int32 = iota
	modeHTTP
	modePass
)

// relay is one connection of the stage: the two halves' ends of it, and the reverse proxy that
// serves its requests over its one upstream connection.
type relay struct {
	stage    *httpStage
	mode     atomic.Int32
	paired   chan struct{} // closed when the response half is made
	told     chan struct{} // closed when the mode is set
	inflight atomic.Int32  // requests being served

	fromClient, fromUpstream *pipeBuf    // what the halves received, for the server and the transport
	toClient, toUpstream     chan []byte // what the server and the transport write, for the halves to send
	endClient, endUpstream   chan struct{}
	endClientOnce, endUpOnce sync.Once
	done                     chan struct{}
	doneOnce                 sync.Once

	up     *side // the service's connection, for the transport
	dialed atomic.Bool
	tr     *http.Transport
	proxy  *httputil.ReverseProxy
}

var errUpstreamGone = errors.New("the connection to the service is closed")

func newRelay(s *httpStage) *relay {
	r := &relay{stage: s, paired: make(chan struct{}), told: make(chan struct{}), fromClient: newPipeBuf(), fromUpstream: newPipeBuf(),
		toClient: make(chan []byte), toUpstream: make(chan []byte), endClient: make(chan struct{}), endUpstream: make(chan struct{}),
		done: make(chan struct{})}
	r.up = &side{r: r, in: r.fromUpstream, out: r.toUpstream, close: r.upstreamEnded}
	r.tr = &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			if r.dialed.Swap(true) {
				return nil, errUpstreamGone
			}
			return r.up, nil
		},
		DisableCompression: true, // the client's Accept-Encoding, as it sent it
		MaxConnsPerHost:    1,
	}
	r.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = cmp.Or(pr.In.Host, "upstream")
			pr.Out.Host = pr.In.Host
			for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := pr.In.Header[h]; ok {
					pr.Out.Header[h] = v
				}
			}
		},
		Transport:     r.tr,
		FlushInterval: -1, // every write reaches the client as it comes: the stream faults act on the service's own chunks
		ModifyResponse: func(res *http.Response) error {
			if res.Close { // the service closes its connection after this answer: so does the proxy
				res.Header.Set("Connection", "close")
			}
			return nil
		},
		// The service's connection failed: the client sees its connection end, as without the
		// stage.
		ErrorHandler: func(http.ResponseWriter, *http.Request, error) { panic(http.ErrAbortHandler) },
		ErrorLog:     log.New(io.Discard, "", 0),
	}
	return r
}

// end closes the relay: both connections end.
func (r *relay) end() {
	first := false
	r.doneOnce.Do(func() {
		first = true
		close(r.done)
		r.fromClient.close()
		r.fromUpstream.close()
		r.endClientOnce.Do(func() { close(r.endClient) })
		r.endUpOnce.Do(func() { close(r.endUpstream) })
	})
	if first {
		r.tr.CloseIdleConnections() // closes r.up: not under doneOnce
	}
}

// upstreamEnded is the end of the connection to the service (closed by the service or by the
// transport): the client's ends too, at once when no request is being served (else that
// request's end closes it: the service's answer said Connection: close, or the transport failed
// and the handler aborted).
func (r *relay) upstreamEnded() {
	r.endUpOnce.Do(func() { close(r.endUpstream) })
	if r.inflight.Load() == 0 {
		r.end()
	}
}

// setMode sets the connection's mode once; it reports whether this call set it.
func (r *relay) setMode(m int32) bool {
	if !r.mode.CompareAndSwap(modeUnknown, m) {
		return false
	}
	close(r.told)
	return true
}

// send hands b to a half to send, or fails when the relay has ended.
func (r *relay) send(to chan []byte, b []byte) (int, error) {
	select {
	case to <- bytes.Clone(b):
		return len(b), nil
	case <-r.done:
		return 0, net.ErrClosed
	}
}

// requests is the request half's Pipe: it tells HTTP from other traffic by the first line,
// then hands the client's bytes to the stage's server and sends the transport's to the service.
func (r *relay) requests(stub *toxics.ToxicStub, st *halfState) {
	if !flushPending(stub, st) {
		return
	}
	if r.mode.Load() == modeUnknown && len(st.line) > 0 && !r.tell(stub, st) {
		return
	}
	for {
		switch r.mode.Load() {
		case modePass:
			new(toxics.NoopToxic).Pipe(stub)
			return
		case modeHTTP:
			r.pump(stub, st, r.fromClient, r.toUpstream, r.endUpstream)
			return
		}
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				r.setMode(modePass)
				if len(st.line) > 0 && !send(stub, st, &stream.StreamChunk{Data: st.line, Timestamp: time.Now()}) {
					st.line = nil
					return
				}
				stub.Close()
				return
			}
			st.line = append(st.line, c.Data...)
			if !r.tell(stub, st) {
				return
			}
		}
	}
}

// tell decides the connection's mode once its first line is whole (or cannot be a request
// line), and passes the bytes held so far on; false when Toxiproxy interrupted it (it is told
// again when the half runs again).
func (r *relay) tell(stub *toxics.ToxicStub, st *halfState) bool {
	i := bytes.IndexByte(st.line, '\n')
	if i < 0 && len(st.line) < maxRequestLine && couldBeRequestLine(st.line) {
		return true // wait for the rest of the line
	}
	isHTTP := i >= 0 && requestLine(st.line[:i])
	if isHTTP {
		t := time.NewTimer(pairWait)
		defer t.Stop()
		select {
		case <-r.paired:
		case <-t.C:
			isHTTP = false
		case <-stub.Interrupt:
			return false
		}
	}
	held := st.line
	st.line = nil
	if isHTTP && r.setMode(modeHTTP) {
		r.fromClient.write(held)
		r.stage.ln.push(&side{r: r, in: r.fromClient, out: r.toClient, close: r.end})
		return true
	}
	r.setMode(modePass)
	return send(stub, st, &stream.StreamChunk{Data: held, Timestamp: time.Now()})
}

// responses is the response half's Pipe: a connection the request half has not told as HTTP
// when the service speaks first passes; an HTTP one's bytes from the service go to the
// transport, and the server's answers to the client.
func (r *relay) responses(stub *toxics.ToxicStub, st *halfState) {
	if !flushPending(stub, st) {
		return
	}
	if r.mode.Load() == modeUnknown {
		select {
		case <-stub.Interrupt:
			return
		case <-r.told:
		case c := <-stub.Input:
			if r.setMode(modePass) || r.mode.Load() == modePass {
				if c == nil {
					stub.Close()
					return
				}
				if !send(stub, st, c) {
					return
				}
			} else {
				r.received(st, r.fromUpstream, c)
			}
		}
	}
	if r.mode.Load() == modePass {
		new(toxics.NoopToxic).Pipe(stub)
		return
	}
	r.pump(stub, st, r.fromUpstream, r.toClient, r.endClient)
}

// pump runs an HTTP connection's half: what comes in goes to in (for the server or the
// transport), what is handed to out goes on, until end asks it to close its output; it returns
// when its output is closed and its input has ended.
func (r *relay) pump(stub *toxics.ToxicStub, st *halfState, in *pipeBuf, out chan []byte, end chan struct{}) {
	for {
		input := stub.Input
		if st.inputDone {
			input = nil
		}
		if st.outClosed { // Toxiproxy no longer interrupts a closed half
			if input == nil {
				return
			}
			r.received(st, in, <-input)
			continue
		}
		select {
		case <-stub.Interrupt:
			return
		case c := <-input:
			r.received(st, in, c)
		case b := <-out:
			if !send(stub, st, &stream.StreamChunk{Data: b, Timestamp: time.Now()}) {
				return
			}
		case <-end:
			stub.Close()
			st.outClosed = true
		}
	}
}

// received hands a chunk from Toxiproxy to in, or tells in's reader that the input ended.
func (r *relay) received(st *halfState, in *pipeBuf, c *stream.StreamChunk) {
	if c != nil {
		in.write(c.Data)
		return
	}
	st.inputDone = true
	in.close()
	if in == r.fromUpstream {
		r.upstreamEnded()
	}
}

// send sends c on the half's output, keeping it for the next run when Toxiproxy interrupts.
func send(stub *toxics.ToxicStub, st *halfState, c *stream.StreamChunk) bool {
	select {
	case stub.Output <- c:
		return true
	case <-stub.Interrupt:
		st.pending = c
		return false
	}
}

// flushPending sends the chunk an interruption held back.
func flushPending(stub *toxics.ToxicStub, st *halfState) bool {
	if c := st.pending; c != nil {
		st.pending = nil
		return send(stub, st, c)
	}
	return true
}

// httpMethods start an HTTP/1.x request line.
var httpMethods = []string{"GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "OPTIONS ", "PATCH ", "TRACE ", "CONNECT "}

// couldBeRequestLine reports whether b may be the start of a request line.
func couldBeRequestLine(b []byte) bool {
	for _, m := range httpMethods {
		n := min(len(b), len(m))
		if string(b[:n]) == m[:n] {
			return true
		}
	}
	return false
}

// requestLine reports whether line (without its newline) is an HTTP/1.x request line.
func requestLine(line []byte) bool {
	line = bytes.TrimSuffix(line, []byte("\r"))
	if !couldBeRequestLine(line) {
		return false
	}
	return bytes.HasSuffix(line, []byte(" HTTP/1.1")) || bytes.HasSuffix(line, []byte(" HTTP/1.0"))
}
