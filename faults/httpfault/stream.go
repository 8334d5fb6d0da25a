package httpfault

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/shakedown-dev/shakedown/internal/sleep"
)

// malformedChunk is what a malformed fault writes instead of a chunk: a JSON object cut short,
// ended by a newline so that line-based (NDJSON) readers take it as one chunk.
const malformedChunk = "{\"injected\": \"malformed chunk\", \"trunc\n"

// faultWriter applies the stream faults to a response's chunks: the lines of its body.
type faultWriter struct {
	http.ResponseWriter
	ctx     context.Context
	p       plan
	chunks  int   // chunks begun
	midLine bool  // the last byte written did not end a line
	skip    bool  // dropping the rest of a line that a malformed chunk replaced
	err     error // set when a wait was cut by the request's end: every later write fails with it
	headed  bool  // the headers were prepared
	r       *http.Request
	in      *Injector
	line    []byte // with a stream-error fault: the line being written
	last    []byte // with a stream-error fault: the last non-blank line written
}

// errStreamEnded is what the handler's writes return after a stream-error fault ended the body.
var errStreamEnded = errors.New("httpfault: the stream was ended by a stream-error fault")

// prepare readies the headers once, before they are sent: a malformed chunk changes the body's
// length, so a Content-Length the handler set (a reverse proxy copies the backend's) must go.
func (w *faultWriter) prepare() {
	if !w.headed {
		w.headed = true
		if w.p.malformed != nil {
			w.Header().Del("Content-Length")
		}
	}
}

// WriteHeader implements http.ResponseWriter.
func (w *faultWriter) WriteHeader(code int) {
	w.prepare()
	w.ResponseWriter.WriteHeader(code)
}

// Write passes b on line by line, applying the faults due before each chunk begins.
func (w *faultWriter) Write(b []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.prepare()
	if len(b) == 0 {
		return w.ResponseWriter.Write(b)
	}
	done := 0
	for done < len(b) {
		rest := b[done:]
		if !w.midLine && !w.skip {
			if err := w.beginChunk(); err != nil {
				return done, err
			}
		}
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		ends := line[len(line)-1] == '\n'
		if f := w.p.streamErr; f != nil {
			if !w.midLine && w.chunks-1 >= f.Action.AfterChunks && len(bytes.TrimSpace(line)) > 0 {
				w.ResponseWriter.Write(w.in.streamErr(w.r, w.last, errorMessage(f)))
				w.Flush()
				w.err = errStreamEnded
				return done, w.err
			}
			w.line = append(w.line, line...)
			if ends {
				if len(bytes.TrimSpace(w.line)) > 0 {
					w.last = append(w.last[:0], bytes.TrimRight(w.line, "\r\n")...)
				}
				w.line = w.line[:0]
			}
		}
		if !w.skip {
			if _, err := w.ResponseWriter.Write(line); err != nil {
				return done, err
			}
			w.midLine = !ends
		} else if ends {
			w.skip = false
		}
		done += len(line)
	}
	return done, nil
}

// beginChunk applies the faults due before chunk number w.chunks and counts it. A malformed
// chunk is written here and the original line skipped.
func (w *faultWriter) beginChunk() error {
	k := w.chunks
	w.chunks++
	if k == 0 && w.p.firstChunk != nil && !sleep.For(w.ctx, w.p.firstChunk.Action.Delay.D()) {
		w.err = w.ctx.Err()
		return w.err
	}
	if f := w.p.stall; f != nil && k == f.Action.AfterChunks {
		w.Flush() // what came before the stall reaches the client; at 0, the headers
		if !sleep.For(w.ctx, f.Action.Delay.D()) {
			w.err = w.ctx.Err()
			return w.err
		}
	}
	if f := w.p.drop; f != nil && k == f.Action.AfterChunks {
		w.Flush()
		panic(http.ErrAbortHandler) // the server closes the connection without ending the body
	}
	if f := w.p.malformed; f != nil && k == f.Action.AfterChunks {
		if _, err := w.ResponseWriter.Write([]byte(malformedChunk)); err != nil {
			return err
		}
		w.skip = true
	}
	return nil
}

// Flush implements http.Flusher.
func (w *faultWriter) Flush() {
	w.prepare()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *faultWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack implements http.Hijacker when the underlying writer does.
func (w *faultWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("httpfault: the response writer cannot be hijacked")
}
