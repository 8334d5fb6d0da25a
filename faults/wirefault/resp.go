package wirefault

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// respFramer frames the client side of a Redis connection: RESP arrays of bulk strings, which
// RESP2 and RESP3 clients both send. An inline command (a line of text) passes as it is.
type respFramer struct {
	held []byte
	lost bool
	// An oversized command passes as it comes: the arguments and the bytes of the current one
	// (its header read, its payload and CRLF to go) still to pass.
	args, skip int
}

// Bounds of what the stage frames: a command's arguments, a header line ("*3\r\n", "$5\r\n"),
// an inline command's line; past them the connection's framing is lost and its bytes pass.
const (
	maxArgs   = 1 << 20
	maxHeader = 32
	maxInline = 64 << 10
)

func (f *respFramer) feed(p []byte) []unit {
	if f.lost {
		return []unit{{raw: p}}
	}
	data := withHeld(&f.held, p)
	var us []unit
	for len(data) > 0 {
		if f.skip > 0 || f.args > 0 {
			n, ok := f.skipping(data)
			us, data = pass(us, data[:n]), data[n:]
			if !ok {
				break
			}
			continue
		}
		if data[0] != '*' { // an inline command: up to its newline
			i := bytes.IndexByte(data[:min(len(data), maxInline)], '\n')
			if i < 0 {
				if len(data) >= maxInline {
					f.lost = true
					return pass(us, data)
				}
				break
			}
			us, data = pass(us, data[:i+1]), data[i+1:]
			continue
		}
		n, req, status := parseCommand(data)
		switch status {
		case respBad:
			f.lost = true
			return pass(us, data)
		case respShort:
			if len(data) <= maxMessage {
				break
			}
			// Too big to hold: pass its header, then its arguments as they come.
			args, hdr, _ := respHeader(data, '*')
			f.args = args
			us, data = pass(us, data[:hdr]), data[hdr:]
			continue
		default:
			if req == nil || n > maxMessage {
				us = pass(us, data[:n])
			} else {
				us = append(us, unit{raw: data[:n], req: req})
			}
			data = data[n:]
			continue
		}
		break
	}
	if len(data) > 0 {
		f.held = clone(data)
	}
	return us
}

// skipping passes the arguments of an oversized command: it returns how many bytes of data to
// pass, and false when it needs more data to go on.
func (f *respFramer) skipping(data []byte) (int, bool) {
	i := 0
	for i < len(data) {
		if f.skip > 0 {
			n := min(f.skip, len(data)-i)
			i += n
			f.skip -= n
			if f.skip > 0 {
				return i, false
			}
			f.args--
			continue
		}
		if f.args == 0 {
			return i, true
		}
		size, hdr, st := respHeader(data[i:], '$')
		switch st {
		case respShort:
			return i, false
		case respBad:
			f.lost, f.args = true, 0
			return len(data), false
		}
		i += hdr
		f.skip = size + 2
	}
	return i, f.args == 0 && f.skip == 0
}

const (
	respOK = iota
	respShort
	respBad
)

// respHeader reads "<kind><n>\r\n", returning n and the header's length.
func respHeader(b []byte, kind byte) (n, size, status int) {
	if len(b) == 0 {
		return 0, 0, respShort
	}
	if b[0] != kind {
		return 0, 0, respBad
	}
	i := bytes.IndexByte(b[:min(len(b), maxHeader)], '\n')
	if i < 0 {
		if len(b) >= maxHeader {
			return 0, 0, respBad
		}
		return 0, 0, respShort
	}
	if i < 2 || b[i-1] != '\r' {
		return 0, 0, respBad
	}
	v, err := strconv.Atoi(string(b[1 : i-1]))
	if err != nil || v < -1 || v > 512<<20 {
		return 0, 0, respBad
	}
	return v, i + 1, respOK
}

// parseCommand reads one array of bulk strings from b: its length and the request (nil for an
// empty or null array, which passes).
func parseCommand(b []byte) (int, *Request, int) {
	args, i, st := respHeader(b, '*')
	if st != respOK {
		return 0, nil, st
	}
	if args > maxArgs {
		return 0, nil, respBad
	}
	if args <= 0 {
		return i, nil, respOK
	}
	var name, key string
	for a := 0; a < args; a++ {
		size, hdr, st := respHeader(b[i:], '$')
		if st != respOK {
			return 0, nil, st
		}
		if size < 0 {
			return 0, nil, respBad
		}
		start := i + hdr
		end := start + size
		if end+2 > len(b) {
			return 0, nil, respShort
		}
		if b[end] != '\r' || b[end+1] != '\n' {
			return 0, nil, respBad
		}
		switch a {
		case 0:
			name = strings.ToUpper(string(b[start:end]))
		case 1:
			key = string(b[start:end])
		}
		i = end + 2
	}
	text := name
	if key != "" {
		text += " " + key
	}
	return i, &Request{Text: text, Command: name, Key: key}, respOK
}

// respCommand encodes a command as an array of bulk strings.
func respCommand(args ...string) []byte {
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b
}

// redisError is the command that has the server answer f's error reply: a script returning it.
func redisError(f *Fault) []byte {
	class := f.Action.Error
	if class == "" {
		class = "ERR"
	}
	msg, ok := RedisErrors[class]
	if !ok {
		msg = class + " injected by shakedown"
	}
	msg += " (shakedown fault " + f.Name + ")"
	return respCommand("EVAL", "return redis.error_reply([=["+msg+"]=])", "0")
}
