package wirefault

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Postgres startup-phase codes (the protocol's untyped first messages).
const (
	pgProtocol3   = 196608
	pgSSLRequest  = 80877103
	pgGSSRequest  = 80877104
	pgCancelCode  = 80877102
	maxStatements = 4096 // named statements remembered per connection
)

// pgFramer frames the frontend side of a Postgres connection.
type pgFramer struct {
	held    []byte // an incomplete message, held for the next feed
	typed   bool   // past the startup message: every message has a type byte
	lost    bool   // framing lost (TLS, a bad header): everything passes
	skip    int    // bytes of an oversized message still to pass
	stmts   map[string]string
	group   []byte // an extended-protocol group, held until its Sync
	stmt    string // the statement of the group's first Bind (or Parse)
	bound   bool
	execute bool // the group holds an Execute
}

// pgFrontend are the message types a client sends after the startup message.
const pgFrontend = "BCdcfDEHFpPQSX"

func (f *pgFramer) feed(p []byte) []unit {
	if f.lost {
		return []unit{{raw: p}}
	}
	data := withHeld(&f.held, p)
	var us []unit
	for len(data) > 0 {
		if f.skip > 0 {
			n := min(f.skip, len(data))
			us, data, f.skip = pass(us, data[:n]), data[n:], f.skip-n
			continue
		}
		if !f.typed {
			if len(data) < 8 {
				break
			}
			n, code := int(binary.BigEndian.Uint32(data)), binary.BigEndian.Uint32(data[4:])
			switch {
			case data[0] == 0x16: // a TLS handshake after the server accepted SSLRequest
				f.lost = true
				return pass(us, data)
			case (code == pgSSLRequest || code == pgGSSRequest || code == pgCancelCode) && n == 8:
				us, data = pass(us, data[:8]), data[8:]
				continue
			case code>>16 == 3 && n >= 8 && n <= maxMessage:
				if len(data) < n {
					f.held = clone(data)
					return us
				}
				us, data, f.typed = pass(us, data[:n]), data[n:], true
				continue
			default: // not a startup message: a stream joined later, read as typed messages
				f.typed = true
			}
		}
		if len(data) < 5 {
			break
		}
		typ, n := data[0], int(binary.BigEndian.Uint32(data[1:]))
		if n < 4 || strings.IndexByte(pgFrontend, typ) < 0 {
			f.lost = true
			us = f.flushGroup(us)
			return pass(us, data)
		}
		total := 1 + n
		if total > maxMessage {
			us = f.flushGroup(us)
			f.skip = total
			continue
		}
		if len(data) < total {
			break
		}
		msg := data[:total]
		data = data[total:]
		us = f.message(us, msg)
	}
	if len(data) > 0 {
		f.held = clone(data)
	}
	return us
}

// message takes one complete typed message.
func (f *pgFramer) message(us []unit, msg []byte) []unit {
	body := msg[5:]
	switch msg[0] {
	case 'Q':
		us = f.flushGroup(us)
		text, _ := cstring(body)
		return append(us, unit{raw: msg, req: &Request{Text: text}})
	case 'P': // Parse: name, query, parameter types
		name, rest := cstring(body)
		query, _ := cstring(rest)
		if _, ok := f.stmts[name]; !ok && len(f.stmts) >= maxStatements {
			clear(f.stmts)
		}
		f.stmts[name] = query
		if !f.bound && f.stmt == "" {
			f.stmt = name
		}
	case 'B': // Bind: portal, statement, ...
		_, rest := cstring(body)
		stmt, _ := cstring(rest)
		if !f.bound {
			f.stmt, f.bound = stmt, true
		}
	case 'E':
		f.execute = true
	case 'C': // Close: 'S' statement or 'P' portal, name
		if len(body) > 0 && body[0] == 'S' {
			name, _ := cstring(body[1:])
			delete(f.stmts, name)
		}
	case 'D':
	case 'S': // Sync ends the group: a request if it executes something
		f.group = append(f.group, msg...)
		g := f.group
		req := f.execute
		text := f.stmts[f.stmt]
		f.resetGroup()
		if !req {
			return pass(us, g)
		}
		return append(us, unit{raw: g, req: &Request{Text: text}})
	case 'H': // Flush: the server answers what came so far, so the group passes
		f.group = append(f.group, msg...)
		return f.flushGroup(us)
	default: // copy data, function calls, passwords, Terminate
		us = f.flushGroup(us)
		return pass(us, msg)
	}
	f.group = append(f.group, msg...)
	if len(f.group) > maxMessage {
		return f.flushGroup(us)
	}
	return us
}

// flushGroup passes a held group without a decision.
func (f *pgFramer) flushGroup(us []unit) []unit {
	g := f.group
	f.resetGroup()
	if len(g) == 0 {
		return us
	}
	return append(us, unit{raw: g})
}

func (f *pgFramer) resetGroup() {
	f.group, f.stmt, f.bound, f.execute = nil, "", false, false
}

func cstring(b []byte) (string, []byte) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:]
		}
	}
	return string(b), nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// pgQuery is a simple Query message.
func pgQuery(sql string) []byte {
	msg := make([]byte, 5, 6+len(sql))
	msg[0] = 'Q'
	binary.BigEndian.PutUint32(msg[1:], uint32(4+len(sql)+1))
	msg = append(msg, sql...)
	return append(msg, 0)
}

// pgError is the query that has the server raise f's error: a DO block raising the SQLSTATE, or
// for 57P01 the backend terminating itself (FATAL, as an administrator's shutdown). The query
// replaces a whole extended group too: the server answers a failed group and a failed simple
// query alike, with the error and then ReadyForQuery.
func pgError(f *Fault) []byte {
	code := f.Action.SQLState
	if code == "" {
		code = "40001"
	}
	if code == "57P01" {
		// The signal is taken at the backend's next check for interrupts: the sleep's, before
		// the block answers anything.
		return pgQuery("DO $shakedown$BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(10); END$shakedown$")
	}
	msg, ok := SQLStates[code]
	if !ok {
		msg = "injected error " + code
	}
	return pgQuery(fmt.Sprintf("DO $shakedown$BEGIN RAISE EXCEPTION USING ERRCODE = '%s', MESSAGE = $m$%s$m$, DETAIL = $m$injected by shakedown fault %s$m$; END$shakedown$", code, msg, f.Name))
}
