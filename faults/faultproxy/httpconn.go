package faultproxy

// The HTTP stage's plumbing: how a connection a request half told as HTTP reaches the stage's
// server (connListener), and the two connections of a relay as Go's HTTP code sees them (side,
// over pipeBuf).

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// connListener hands the stage's server the connections the request halves tell as HTTP.
type connListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnListener() *connListener {
	return &connListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) push(c net.Conn) {
	go func() {
		select {
		case l.ch <- c:
		case <-l.done:
			c.Close()
		}
	}()
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return stageAddr{} }

type stageAddr struct{}

func (stageAddr) Network() string { return "shakedown-http-stage" }
func (stageAddr) String() string  { return "stage" }

// side is one of a relay's two connections as Go's HTTP code sees it: the client's, which the
// stage's server serves, or the service's, which the transport sends on. It reads what its
// half received and hands what is written to the other half to send.
type side struct {
	r     *relay
	in    *pipeBuf
	out   chan []byte
	close func()
}

func (c *side) Read(b []byte) (int, error)         { return c.in.read(b) }
func (c *side) Write(b []byte) (int, error)        { return c.r.send(c.out, b) }
func (c *side) Close() error                       { c.close(); return nil }
func (c *side) LocalAddr() net.Addr                { return stageAddr{} }
func (c *side) RemoteAddr() net.Addr               { return stageAddr{} }
func (c *side) SetDeadline(t time.Time) error      { return c.SetReadDeadline(t) }
func (c *side) SetReadDeadline(t time.Time) error  { c.in.setDeadline(t); return nil }
func (c *side) SetWriteDeadline(t time.Time) error { return nil }

// pipeBuf is one direction's bytes between a half and its reader: writes never block (a half
// must stay free to answer Toxiproxy's interruptions), reads block until there are bytes, the
// end, or the read deadline (the HTTP server moves it to abort a read).
type pipeBuf struct {
	mu       sync.Mutex
	buf      []byte
	eof      bool
	deadline time.Time
	wake     chan struct{} // closed and replaced on every change
}

func newPipeBuf() *pipeBuf { return &pipeBuf{wake: make(chan struct{})} }

func (p *pipeBuf) changed() {
	close(p.wake)
	p.wake = make(chan struct{})
}

func (p *pipeBuf) write(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.eof {
		p.buf = append(p.buf, b...)
		p.changed()
	}
}

func (p *pipeBuf) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.eof = true
	p.changed()
}

func (p *pipeBuf) setDeadline(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deadline = t
	p.changed()
}

func (p *pipeBuf) read(b []byte) (int, error) {
	for {
		p.mu.Lock()
		if len(p.buf) > 0 {
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			if len(p.buf) == 0 {
				p.buf = nil
			}
			p.mu.Unlock()
			return n, nil
		}
		if p.eof {
			p.mu.Unlock()
			return 0, io.EOF
		}
		deadline, wake := p.deadline, p.wake
		p.mu.Unlock()
		if deadline.IsZero() {
			<-wake
			continue
		}
		d := time.Until(deadline)
		if d <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		select {
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}
