// Package dnsmsg reads a DNS answer the way Go's own resolver does, with
// golang.org/x/net/dns/dnsmessage (the parser the standard library
// vendors), to tell whether a Go program would refuse an answer that a
// lenient reader such as github.com/miekg/dns accepts. Go's resolver
// reports such an answer as "cannot unmarshal DNS message"; old
// systemd-resolved stubs, old kube-dns and some home routers sent them.
// It imports no package of mongoconn.
package dnsmsg

import (
	"errors"
	"fmt"

	"golang.org/x/net/dns/dnsmessage"
)

// Where a strict reading stopped, in RejectError.Section.
const (
	SectionHeader   = "header"
	SectionQuestion = "question"
	SectionAnswer   = "answer"
)

// RejectError says why Go's resolver would refuse an answer: the section
// and, for the answer section, the record it stopped at (0-based).
type RejectError struct {
	Section string
	Index   int
	// Type is the record type of that record, when its header was read.
	Type string
	// Err is the parser's own error.
	Err error
}

func (e *RejectError) Error() string {
	switch e.Section {
	case SectionAnswer:
		what := fmt.Sprintf("answer record %d", e.Index+1)
		if e.Type != "" {
			what += " (" + e.Type + ")"
		}
		return fmt.Sprintf("Go's resolver cannot read %s: %v", what, e.Err)
	}
	return fmt.Sprintf("Go's resolver cannot read the %s: %v", e.Section, e.Err)
}

// Unwrap returns the parser's error.
func (e *RejectError) Unwrap() error { return e.Err }

// ErrNoQuestion says the answer repeats no question, which Go's resolver
// requires (it matches the answer to the question it asked).
var ErrNoQuestion = errors.New("the answer repeats no question")

// GoReject returns nil when Go's resolver would read msg as the answer to
// a question of type qtype (dns.TypeSRV, TypeTXT, TypeA, TypeAAAA: the
// numbers are the protocol's), else a *RejectError. It follows the steps
// of the resolver in net (dnsclient_unix.go, lookup.go): the header, the
// one question, the answer headers, and the body of every answer of the
// asked type; an answer of another type is skipped by its length. An
// NXDOMAIN answer is read no further, as Go does. It never panics and
// reads nothing outside msg.
func GoReject(msg []byte, qtype uint16) error {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return &RejectError{Section: SectionHeader, Err: err}
	}
	if _, err := p.Question(); err != nil {
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			err = ErrNoQuestion
		}
		return &RejectError{Section: SectionQuestion, Err: err}
	}
	if err := p.SkipAllQuestions(); err != nil {
		return &RejectError{Section: SectionQuestion, Err: err}
	}
	if h.RCode == dnsmessage.RCodeNameError {
		return nil
	}
	want := dnsmessage.Type(qtype)
	for i := 0; ; i++ {
		ah, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			return nil
		}
		if err != nil {
			return &RejectError{Section: SectionAnswer, Index: i, Err: err}
		}
		typ := typeName(ah.Type)
		if ah.Type != want {
			if err := p.SkipAnswer(); err != nil {
				return &RejectError{Section: SectionAnswer, Index: i, Type: typ, Err: err}
			}
			continue
		}
		if err := readBody(&p, want); err != nil {
			return &RejectError{Section: SectionAnswer, Index: i, Type: typ, Err: err}
		}
	}
}

// readBody reads the body of the current answer as Go's lookup of that
// type does.
func readBody(p *dnsmessage.Parser, t dnsmessage.Type) error {
	var err error
	switch t {
	case dnsmessage.TypeSRV:
		_, err = p.SRVResource()
	case dnsmessage.TypeTXT:
		_, err = p.TXTResource()
	case dnsmessage.TypeA:
		_, err = p.AResource()
	case dnsmessage.TypeAAAA:
		_, err = p.AAAAResource()
	case dnsmessage.TypeCNAME:
		_, err = p.CNAMEResource()
	default:
		err = p.SkipAnswer()
	}
	return err
}

// typeName names the record types the engine asks about.
func typeName(t dnsmessage.Type) string {
	switch t {
	case dnsmessage.TypeSRV:
		return "SRV"
	case dnsmessage.TypeTXT:
		return "TXT"
	case dnsmessage.TypeA:
		return "A"
	case dnsmessage.TypeAAAA:
		return "AAAA"
	case dnsmessage.TypeCNAME:
		return "CNAME"
	case dnsmessage.TypeOPT:
		return "OPT"
	}
	return fmt.Sprintf("TYPE%d", uint16(t))
}
