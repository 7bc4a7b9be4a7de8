package mongotest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/mongoconn/mongoconn/internal/wire"
)

// fixturePoll is how often a test looks at a fixture's counters while it
// waits for a client to reach a step: it only paces the test.
const fixturePoll = 5 * time.Millisecond

// Every claim a HelloVariant makes about the linked driver holds: the
// driver pings through exactly the variants marked DriverWorks. The
// variants run all at once (a refused one waits for the driver's whole
// server selection timeout), then each is judged in its own subtest.
func TestHelloVariantsAgainstDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the driver's server selection on every refused variant")
	}
	type outcome struct {
		v   HelloVariant
		err error
	}
	var outcomes []*outcome
	var wg sync.WaitGroup
	for _, probe := range HelloVariants("127.0.0.1:1") {
		m := StartFakeMongod(t, Options{ExactHello: true})
		// The variant names the member by its real address.
		for _, v := range HelloVariants(m.Addr()) {
			if v.Name == probe.Name {
				m.SetHello(v.Hello())
			}
		}
		o := &outcome{v: probe}
		outcomes = append(outcomes, o)
		c := connectDriver(t, "mongodb://"+m.Addr()+"/?replicaSet="+HostileSetName)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			o.err = c.Ping(ctx, readpref.Primary())
		}()
	}
	wg.Wait()
	for _, o := range outcomes {
		t.Run(o.v.Name, func(t *testing.T) {
			if works := o.err == nil; works != o.v.DriverWorks {
				t.Errorf("the driver's ping: %v; the variant says DriverWorks=%v", o.err, o.v.DriverWorks)
			}
		})
	}
}

func TestHelloVariantsDifferInOneField(t *testing.T) {
	const self = "127.0.0.1:27017"
	variants := HelloVariants(self)
	base := variants[0]
	if base.Name != "base" || !base.DriverWorks {
		t.Fatalf("first variant %q is not the working base", base.Name)
	}
	baseRaw := mustRaw(t, base.Doc)
	names := map[string]bool{}
	for _, v := range variants[1:] {
		if names[v.Name] {
			t.Errorf("variant %q twice", v.Name)
		}
		names[v.Name] = true
		raw := mustRaw(t, v.Doc)
		elems, err := raw.Elements()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range elems {
			if e.Key() == v.Field || (v.Field == "ismaster" && e.Key() == "isWritablePrimary") {
				continue
			}
			if want := baseRaw.Lookup(e.Key()); !bytes.Equal(want.Value, e.Value().Value) && e.Key() != "ismaster" {
				t.Errorf("%s: field %q differs from the base too", v.Name, e.Key())
			}
		}
		if got := raw.Lookup(v.Field); bytes.Equal(got.Value, baseRaw.Lookup(v.Field).Value) && got.Type == baseRaw.Lookup(v.Field).Type {
			t.Errorf("%s: %s is the base's %s", v.Name, v.Field, got)
		}
		if v.Wire != 0 {
			if n, ok := raw.Lookup(v.Field).Int64OK(); !ok || n != v.Wire {
				t.Errorf("%s: %s is %v, Wire says %d", v.Name, v.Field, raw.Lookup(v.Field), v.Wire)
			}
		}
	}
	for _, want := range []string{"hosts/string", "maxWireVersion/string", "maxWireVersion/int64-beyond-int32", "isWritablePrimary/string", "ismaster/string", "topologyVersion/int32-counter"} {
		if !names[want] {
			t.Errorf("no variant %q", want)
		}
	}
}

func TestControlCharHello(t *testing.T) {
	m := StartFakeMongod(t, Options{ExactHello: true})
	m.SetHelloDoc(ControlCharHello(m.Addr()))
	h := dialRaw(t, m.Addr()).mustMsg("admin", bson.D{{Key: "hello", Value: 1}})
	if got := h.Lookup("setName").StringValue(); got != ControlSetName || !strings.ContainsAny(got, "\x1b\x07") {
		t.Errorf("setName %q", got)
	}
	if got := h.Lookup("tags", "dc").StringValue(); got != ControlTag {
		t.Errorf("tag %q", got)
	}
}

func TestFlappingHello(t *testing.T) {
	m := StartFakeMongod(t, Options{})
	m.SetHello(FlappingHello(m.Addr()))
	r := dialRaw(t, m.Addr())
	var got []string
	for range 4 {
		h := r.mustMsg("admin", bson.D{{Key: "hello", Value: 1}})
		switch {
		case h.Lookup("ok").Double() != 1:
			got = append(got, "error "+h.Lookup("codeName").StringValue())
		case h.Lookup("isWritablePrimary").Boolean():
			got = append(got, "primary")
		case h.Lookup("secondary").Boolean():
			got = append(got, "secondary")
		default:
			got = append(got, "other")
		}
	}
	if want := "primary secondary error ShutdownInProgress primary"; strings.Join(got, " ") != want {
		t.Errorf("hellos answered %q, want %q", got, want)
	}
}

func TestManyMembersHello(t *testing.T) {
	members := UnusedAddrs(BlockMembers, 5000, 27017)
	seen := map[string]bool{}
	for _, a := range members {
		if seen[a] || !strings.HasPrefix(a, "127.77.") {
			t.Fatalf("address %q repeated or outside its block", a)
		}
		seen[a] = true
	}
	m := StartFakeMongod(t, Options{Hello: func() bson.D { return ManyMembersHello(members) }})
	h := dialRaw(t, m.Addr()).mustMsg("admin", bson.D{{Key: "hello", Value: 1}})
	hosts, _ := h.Lookup("hosts").Array().Values()
	if len(hosts) != 5000 || h.Lookup("me").StringValue() != members[0] || seen[m.Addr()] {
		t.Errorf("%d hosts, me %q", len(hosts), h.Lookup("me"))
	}
	c, err := net.DialTimeout("tcp", members[4999], testTimeout)
	if err == nil {
		_ = c.Close()
		t.Errorf("something listens on %s", members[4999])
	}
}

func TestFakeMongodDefaultPortAndDuplicates(t *testing.T) {
	m := StartFakeMongodDefaultPort(t, Options{Hello: func() bson.D { return DuplicateMembersHello("db.dup.test") }})
	host, port, _ := net.SplitHostPort(m.Addr())
	if port != "27017" || !strings.HasPrefix(host, "127.79.") {
		t.Fatalf("address %s", m.Addr())
	}
	h := dialRaw(t, m.Addr()).mustMsg("admin", bson.D{{Key: "hello", Value: 1}})
	hosts, _ := h.Lookup("hosts").Array().Values()
	var spellings []string
	for _, v := range hosts {
		spellings = append(spellings, v.StringValue())
	}
	if want := "db.dup.test:27017 DB.DUP.TEST:27017 db.dup.test.:27017 db.dup.test"; strings.Join(spellings, " ") != want {
		t.Errorf("hosts %q, want %q", spellings, want)
	}
}

func TestJunkAfterHello(t *testing.T) {
	m := StartFakeMongod(t, Options{Mode: ModeJunkAfterHello})
	r := dialRaw(t, m.Addr())
	if h := r.mustMsg("admin", bson.D{{Key: "hello", Value: 1}}); !h.Lookup("isWritablePrimary").Boolean() {
		t.Errorf("hello %s", h)
	}
	_, err := r.msg("admin", bson.D{{Key: "buildInfo", Value: 1}})
	var fe *wire.FrameError
	if !errors.As(err, &fe) || fe.Length >= 0 {
		t.Errorf("the reply after hello: %v, want a frame declaring a negative length", err)
	}
	// Other commands alone are answered cleanly.
	dialRaw(t, m.Addr()).mustMsg("admin", bson.D{{Key: "ping", Value: 1}})
}

// The huge hello's header leaves before its body exists: a client reads
// the declared length while the server is still streaming the padding.
func TestHugeHelloStreamsHeaderFirst(t *testing.T) {
	const size = 1 << 20
	m := StartFakeMongod(t, Options{Mode: ModeHugeHello, HugeHelloSize: size})
	r := dialRaw(t, m.Addr())
	id := r.sendHello()
	_ = r.c.SetReadDeadline(time.Now().Add(testTimeout))
	m2, err := wire.ReadMessage(r.c, 0)
	b := body(t, m2, err)
	if len(b) != size || m2.Header.ResponseTo != id {
		t.Errorf("hello of %d bytes answering %d, want %d bytes answering %d", len(b), m2.Header.ResponseTo, size, id)
	}
	if v, _ := b.Lookup("maxWireVersion").Int32OK(); v != 21 {
		t.Errorf("padded hello lost its fields")
	}
	// A client that reads only the header and hangs up costs the server
	// nothing more: the next connection is answered at once.
	r2 := dialRaw(t, m.Addr())
	r2.sendHello()
	var hdr [wire.HeaderLen]byte
	_ = r2.c.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := r2.c.Read(hdr[:]); err != nil {
		t.Fatal(err)
	}
	if h, ok := wire.ParseHeader(hdr[:]); !ok || h.Length != int32(size+wire.HeaderLen+5) {
		t.Errorf("header declares %d bytes, want %d", h.Length, size+wire.HeaderLen+5)
	}
}

func TestSilentCommands(t *testing.T) {
	m := StartFakeMongod(t, Options{SilentCommands: []string{"ping"}})
	r := dialRaw(t, m.Addr())
	r.mustMsg("admin", bson.D{{Key: "hello", Value: 1}})
	id := r.id.Add(1)
	frame := wire.AppendMsg(nil, id, 0, 0, mustRaw(t, bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}))
	if _, err := r.c.Write(frame); err != nil {
		t.Fatal(err)
	}
	if !r.staysQuiet() {
		t.Errorf("ping was answered")
	}
	if m.Count("ping") != 1 {
		t.Errorf("ping not counted: %s", m.CountSummary())
	}
}

func TestAfterReplyHook(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	hook := func(c string) {
		mu.Lock()
		seen = append(seen, c)
		mu.Unlock()
	}
	m := StartFakeMongod(t, Options{AfterReply: hook, SilentCommands: []string{"ping"}})
	r := dialRaw(t, m.Addr())
	r.mustMsg("admin", bson.D{{Key: "hello", Value: 1}})
	r.mustMsg("admin", bson.D{{Key: "buildInfo", Value: 1}})
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, " ") != "hello buildInfo" {
		t.Errorf("hook saw %q", seen)
	}
}

func TestBlackhole(t *testing.T) {
	b := StartBlackhole(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", b.Addr())
		if err == nil {
			_ = c.Close()
		}
		done <- err
	}()
	// The attempt shows as SYN_SENT while it waits.
	for deadline := time.Now().Add(testTimeout); b.Dialing() == 0; time.Sleep(fixturePoll) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no connection attempt to %s seen in /proc/net/tcp", b.Addr())
		}
	}
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Errorf("dial ended with %v, want it still waiting when cancelled", err)
	}
	if _, err := net.DialTimeout("tcp", b.Addr(), quietTimeout); !isTimeout(err) {
		t.Errorf("dial with a deadline: %v, want a timeout", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestTLSStallAndReset(t *testing.T) {
	cfg := &tls.Config{InsecureSkipVerify: true} // the fixtures send no certificate anyway
	stall := StartTLSStall(t)
	c, err := net.DialTimeout("tcp", stall.Addr(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := tls.Client(c, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tc.HandshakeContext(ctx) }()
	for deadline := time.Now().Add(testTimeout); stall.ClientHellos() == 0; time.Sleep(fixturePoll) {
		if time.Now().After(deadline) {
			t.Fatal("the stall never saw the ClientHello")
		}
	}
	select {
	case err := <-done:
		t.Fatalf("the handshake ended: %v", err)
	case <-time.After(quietTimeout):
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled handshake: %v", err)
	}

	reset := StartTLSReset(t)
	c2, err := net.DialTimeout("tcp", reset.Addr(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_ = c2.SetDeadline(time.Now().Add(testTimeout))
	if err := tls.Client(c2, cfg).Handshake(); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("handshake with the reset peer: %v, want ECONNRESET", err)
	}
	if reset.ClientHellos() != 1 {
		t.Errorf("reset peer counted %d ClientHellos", reset.ClientHellos())
	}
}

func TestDNSServerUnresponsive(t *testing.T) {
	s := StartDNS(t)
	if err := s.AddHost("db.example.test", 60, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	s.SetUnresponsive(true)
	q := new(dns.Msg)
	q.SetQuestion("db.example.test.", dns.TypeA)
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network, Timeout: quietTimeout}
		if _, _, err := c.Exchange(q, s.Addr); !isTimeout(err) {
			t.Errorf("%s: %v, want a timeout", network, err)
		}
	}
	if n := s.CountQueries("db.example.test", "A", ""); n != 2 {
		t.Errorf("%d questions recorded, want 2", n)
	}
	s.SetUnresponsive(false)
	if r := dnsAsk(t, s, "udp", "db.example.test", dns.TypeA, false); len(r.Answer) != 1 {
		t.Errorf("answer after SetUnresponsive(false): %v", r.Answer)
	}
}
