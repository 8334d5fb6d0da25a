package wirefault

// unit is a run of the client's bytes: a request the faults decide on (req set), or bytes that
// pass as they are.
type unit struct {
	raw []byte
	req *Request
}

// framer splits one connection's client-to-server bytes into units. The units feed returns hold
// exactly the bytes fed, in order, less an incomplete message it holds back for the next feed.
type framer interface {
	feed(p []byte) []unit
}

// maxMessage is the largest request the stage holds to decide on; a larger one passes as it
// comes, without a decision.
const maxMessage = 1 << 20

func newFramer(p Protocol) framer {
	switch p {
	case Redis:
		return &respFramer{}
	case Postgres:
		return &pgFramer{stmts: map[string]string{}}
	}
	return passing{}
}

// passing frames nothing: a connection of neither protocol passes as it comes.
type passing struct{}

func (passing) feed(p []byte) []unit { return []unit{{raw: p}} }

// pass appends raw to us as a passing unit, joining it to a passing unit just before.
func pass(us []unit, raw []byte) []unit {
	if len(raw) == 0 {
		return us
	}
	if n := len(us); n > 0 && us[n-1].req == nil && adjacent(us[n-1].raw, raw) {
		us[n-1].raw = us[n-1].raw[:len(us[n-1].raw)+len(raw)]
		return us
	}
	return append(us, unit{raw: raw})
}

// adjacent reports whether b starts where a ends, in one array.
func adjacent(a, b []byte) bool {
	return cap(a) > len(a) && len(b) > 0 && &a[:len(a)+1][len(a)] == &b[0]
}

// withHeld returns p after the bytes held back from the last feed, which it takes.
func withHeld(held *[]byte, p []byte) []byte {
	if len(*held) == 0 {
		return p
	}
	data := append(*held, p...)
	*held = nil
	return data
}
