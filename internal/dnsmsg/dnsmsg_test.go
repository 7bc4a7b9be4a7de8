package dnsmsg

import (
	"errors"
	"testing"

	"github.com/miekg/dns"
)

// answer packs a reply to a question of qtype about name holding rrs.
func answer(t testing.TB, name string, qtype uint16, rrs ...string) []byte {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	m := new(dns.Msg)
	m.SetReply(q)
	for _, s := range rrs {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		m.Answer = append(m.Answer, rr)
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoReject(t *testing.T) {
	const srvName = "_mongodb._tcp.cluster0.example.test."
	good := answer(t, srvName, dns.TypeSRV,
		srvName+" 60 IN SRV 0 0 27017 m0.cluster0.example.test.",
		srvName+" 60 IN SRV 0 0 27017 m1.cluster0.example.test.")
	dotted := answer(t, srvName, dns.TypeSRV, srvName+` 60 IN SRV 0 0 27017 m0\.cluster0.example.test.`)
	nx := func() []byte {
		q := new(dns.Msg)
		q.SetQuestion(srvName, dns.TypeSRV)
		m := new(dns.Msg)
		m.SetRcode(q, dns.RcodeNameError)
		b, _ := m.Pack()
		return b
	}()
	noQuestion := func() []byte {
		m := new(dns.Msg)
		m.Response = true
		b, _ := m.Pack()
		return b
	}()
	tests := []struct {
		name    string
		msg     []byte
		qtype   uint16
		section string // "" when Go reads it
		index   int
	}{
		{"two SRV records", good, dns.TypeSRV, "", 0},
		{"TXT", answer(t, "cluster0.example.test.", dns.TypeTXT, `cluster0.example.test. 60 IN TXT "replicaSet=rs0"`), dns.TypeTXT, "", 0},
		{"A and AAAA", answer(t, "m0.example.test.", dns.TypeA, "m0.example.test. 60 IN CNAME m1.example.test.", "m1.example.test. 60 IN A 127.0.0.1"), dns.TypeA, "", 0},
		{"NXDOMAIN", nx, dns.TypeSRV, "", 0},
		{"a label holding a dot", dotted, dns.TypeSRV, SectionAnswer, 0},
		{"cut in the second record", good[:len(good)-6], dns.TypeSRV, SectionAnswer, 1},
		{"no question", noQuestion, dns.TypeSRV, SectionQuestion, 0},
		{"shorter than a header", []byte{0xde, 0xad, 0xbe, 0xef, 0}, dns.TypeSRV, SectionHeader, 0},
		{"empty", nil, dns.TypeSRV, SectionHeader, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := GoReject(tt.msg, tt.qtype)
			if tt.section == "" {
				if err != nil {
					t.Fatalf("GoReject = %v, want nil", err)
				}
				return
			}
			var re *RejectError
			if !errors.As(err, &re) {
				t.Fatalf("GoReject = %v, want a *RejectError", err)
			}
			if re.Section != tt.section || re.Index != tt.index {
				t.Errorf("stopped at %s %d, want %s %d (%v)", re.Section, re.Index, tt.section, tt.index, err)
			}
		})
	}
}

// TestLenientReadsWhatGoRejects is the premise of dns.answer-unparseable:
// miekg/dns reads the answer Go refuses, and shows the label as it is.
func TestLenientReadsWhatGoRejects(t *testing.T) {
	const srvName = "_mongodb._tcp.cluster0.example.test."
	b := answer(t, srvName, dns.TypeSRV, srvName+` 60 IN SRV 0 0 27017 m0\.cluster0.example.test.`)
	if GoReject(b, dns.TypeSRV) == nil {
		t.Fatal("Go reads a label holding a dot")
	}
	var m dns.Msg
	if err := m.Unpack(b); err != nil {
		t.Fatalf("miekg/dns: %v", err)
	}
	if got := m.Answer[0].(*dns.SRV).Target; got != `m0\.cluster0.example.test.` {
		t.Errorf("target %q", got)
	}
}

// FuzzGoReject: any bytes and question type give nil or a *RejectError,
// never a panic.
func FuzzGoReject(f *testing.F) {
	const srvName = "_mongodb._tcp.cluster0.example.test."
	f.Add(answer(f, srvName, dns.TypeSRV, srvName+" 60 IN SRV 0 0 27017 m0.cluster0.example.test."), uint16(dns.TypeSRV))
	f.Add(answer(f, "cluster0.example.test.", dns.TypeTXT, `cluster0.example.test. 60 IN TXT "a" "b"`), uint16(dns.TypeTXT))
	f.Add(answer(f, srvName, dns.TypeSRV, srvName+` 60 IN SRV 0 0 27017 m0\.x.example.test.`), uint16(dns.TypeSRV))
	f.Add([]byte{}, uint16(dns.TypeA))
	f.Fuzz(func(t *testing.T, b []byte, qtype uint16) {
		err := GoReject(b, qtype)
		var re *RejectError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("error of type %T", err)
		}
	})
}
