package wirefault

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

// pgMsg is a typed frontend message.
func pgMsg(typ byte, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	m := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(m[1:], uint32(4+len(b)))
	return append(m, b...)
}

func cstr(s string) []byte { return append([]byte(s), 0) }

// pgStartup is a StartupMessage for protocol 3.0.
func pgStartup() []byte {
	body := bytes.Join([][]byte{cstr("user"), cstr("shakedown"), cstr("database"), cstr("shakedown"), {0}}, nil)
	m := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(m, uint32(8+len(body)))
	binary.BigEndian.PutUint32(m[4:], pgProtocol3)
	return append(m, body...)
}

// pgSession is what pgx sends: startup, a password, a prepare, an execute, a simple query.
func pgSession() []byte {
	return bytes.Join([][]byte{
		pgStartup(),
		pgMsg('p', cstr("secret")),
		pgMsg('P', cstr("stmt1"), cstr("SELECT $1::int"), []byte{0, 0}),
		pgMsg('D', []byte{'S'}, cstr("stmt1")),
		pgMsg('S'),
		pgMsg('B', cstr(""), cstr("stmt1"), []byte{0, 0, 0, 0, 0, 0}),
		pgMsg('D', []byte{'P'}, cstr("")),
		pgMsg('E', cstr(""), []byte{0, 0, 0, 0}),
		pgMsg('S'),
		pgQuery("commit"),
		pgMsg('X'),
	}, nil)
}

func respSession() []byte {
	return bytes.Join([][]byte{
		respCommand("HELLO", "3"),
		respCommand("GET", "cache:1"),
		respCommand("SET", "cache:1", "v"),
		[]byte("PING\r\n"),
		respCommand("MGET", "a", "b", "c"),
		[]byte("*0\r\n"),
	}, nil)
}

// frameAll feeds data in the pieces cuts makes and returns the units' bytes joined and the
// requests' texts.
func frameAll(f framer, data []byte, cuts []int) (out []byte, texts []string) {
	prev := 0
	for _, c := range append(cuts, len(data)) {
		c = max(prev, min(c, len(data)))
		for _, u := range f.feed(slices.Clone(data[prev:c])) {
			out = append(out, u.raw...)
			if u.req != nil {
				texts = append(texts, u.req.Text)
			}
		}
		prev = c
	}
	return out, texts
}

func TestPostgresFraming(t *testing.T) {
	out, texts := frameAll(newFramer(Postgres), pgSession(), nil)
	if !bytes.Equal(out, pgSession()) {
		t.Error("the bytes out differ from the bytes in")
	}
	if want := []string{"SELECT $1::int", "commit"}; !slices.Equal(texts, want) {
		t.Errorf("requests %q; want %q (the prepare alone is no request)", texts, want)
	}
}

func TestRESPFraming(t *testing.T) {
	out, texts := frameAll(newFramer(Redis), respSession(), nil)
	if !bytes.Equal(out, respSession()) {
		t.Error("the bytes out differ from the bytes in")
	}
	if want := []string{"HELLO 3", "GET cache:1", "SET cache:1", "MGET a"}; !slices.Equal(texts, want) {
		t.Errorf("requests %q; want %q (inline and empty commands pass)", texts, want)
	}
}

// TestOversizedCommandPasses: a command over 1 MiB passes as it comes, without a decision, and
// the framing goes on after it.
func TestOversizedCommandPasses(t *testing.T) {
	data := append(respCommand("SET", "big", string(make([]byte, 2<<20))), respCommand("GET", "after")...)
	out, texts := frameAll(newFramer(Redis), data, []int{100, 70000, 1 << 20, 3 << 20})
	if !bytes.Equal(out, data) {
		t.Error("the bytes out differ from the bytes in")
	}
	if !slices.Equal(texts, []string{"GET after"}) {
		t.Errorf("requests %q; want only the GET after the oversized SET", texts)
	}
	big := pgQuery(string(make([]byte, 2<<20)))
	data = append(append(pgStartup(), big...), pgQuery("SELECT 1")...)
	out, texts = frameAll(newFramer(Postgres), data, []int{10, 5000, 1 << 20})
	if !bytes.Equal(out, data) || !slices.Equal(texts, []string{"SELECT 1"}) {
		t.Errorf("postgres: requests %q (bytes equal: %v); want the SELECT after the oversized query", texts, bytes.Equal(out, data))
	}
}

// fuzzFraming checks a framer against any bytes cut anywhere: no panic, the bytes pass in order
// with nothing added or lost, and the requests found do not depend on the cuts (no
// desynchronised stream).
func fuzzFraming(f *testing.F, p Protocol, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s, uint16(3), uint16(17))
	}
	f.Fuzz(func(t *testing.T, data []byte, a, b uint16) {
		whole, wantTexts := frameAll(newFramer(p), data, nil)
		cuts := []int{int(a) % (len(data) + 1), int(b) % (len(data) + 1)}
		slices.Sort(cuts)
		out, texts := frameAll(newFramer(p), data, cuts)
		if !bytes.Equal(out, whole) {
			t.Fatalf("cut at %v: %d bytes out; whole: %d", cuts, len(out), len(whole))
		}
		if !bytes.HasPrefix(data, out) {
			t.Fatal("the bytes out are not the bytes in")
		}
		if !slices.Equal(texts, wantTexts) {
			t.Fatalf("cut at %v: requests %q; whole: %q", cuts, texts, wantTexts)
		}
	})
}

func FuzzPostgresFraming(f *testing.F) {
	fuzzFraming(f, Postgres, pgSession(), pgSession()[len(pgStartup()):], append(pgMsg('Z', []byte{'I'}), pgSession()...), []byte{0, 0, 0, 8, 4, 210, 22, 47, 0x16, 3, 1})
}

func FuzzRESPFraming(f *testing.F) {
	fuzzFraming(f, Redis, respSession(), []byte("*2\r\n$3\r\nGET\r\n$-1\r\n"), []byte("*1\r\n$99999999999\r\n"), []byte("$3\r\nGET\r\n"))
}

// TestStageTellsTheProtocol: a stage tells a connection's protocol by its first bytes: a
// Postgres startup message or SSLRequest, a RESP array, a Postgres message of a connection
// joined mid-stream; anything else passes unframed.
func TestStageTellsTheProtocol(t *testing.T) {
	s := NewStage()
	defer s.Close()
	for _, tt := range []struct {
		first []byte
		want  Protocol
	}{
		{[]byte{0, 0, 0, 8, 4, 210, 22, 47}, Postgres}, // SSLRequest
		{append([]byte{0, 0, 0, 9, 0, 3, 0, 0}, 0), Postgres},
		{[]byte("*1\r\n$4\r\nPING\r\n"), Redis},
		{[]byte{'Q', 0, 0, 0, 13, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1', 0}, Postgres},
		{[]byte("GET / HTTP/1.1\r\n"), ""},
		{nil, ""},
	} {
		if got := s.protocol(tt.first); got != tt.want {
			t.Errorf("protocol(%q) = %q; want %q", tt.first, got, tt.want)
		}
	}
	if _, ok := newFramer("").(passing); !ok {
		t.Error("no protocol: want a framer that passes everything")
	}
}
