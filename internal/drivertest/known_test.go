//go:build drivers && linux

package drivertest

import "github.com/mongoconn/mongoconn/internal/driverrun"

// okGap is a scenario where a client's ping and diagnose's ok disagree
// today.
type okGap struct {
	client   driverrun.Client
	scenario string
	// clientOK is the client's outcome (diagnose says the opposite).
	clientOK bool
	// why says what the client does differently.
	why string
}

// knownOKGaps may only shrink: a row that agrees again fails the suite.
var knownOKGaps = []okGap{
	// diagnose judges by the Go driver, which discovers the set and fails;
	// its topology.advertised-unreachable finding names these clients as
	// the ones that still connect.
	{driverrun.Mongosh, "tunnel-bare", true, "mongosh adds directConnection=true to a string with one host and no replicaSet, so it connects through the tunnel where drivers do not"},
	{driverrun.PyMongo, "tunnel-bare", true, "PyMongo 3 connects directly to a single seed given without replicaSet (directConnection defaults to true before PyMongo 4.0)"},
	// A bug of PyMongo 3 (fixed in 4.0) on a string the specification
	// and the Go driver accept: not a finding of diagnose, whose ok is the
	// Go driver's; explain on PyMongo's text says to write ssl=false.
	{driverrun.PyMongo, "srv-healthy", false, "PyMongo 3.11 turns ssl on for mongodb+srv and then refuses tls=false as a conflicting value (InvalidURI); ssl=false is accepted (srv-ssl-false)"},
}

// explainGap is a client's text on which explain names first another id
// than diagnose does.
type explainGap struct {
	client   driverrun.Client
	scenario string
	// diagnose is diagnose's first error id, explain explain's first id
	// ("" when it recognises nothing).
	diagnose, explain string
}

// knownExplainGaps may only shrink: a row that agrees again fails the
// suite. It is empty: explain names diagnose's cause first on every
// client's text that carries one.
var knownExplainGaps = []explainGap{}

func knownOKGap(c driverrun.Client, scenario string) (okGap, bool) {
	for _, g := range knownOKGaps {
		if g.client == c && g.scenario == scenario {
			return g, true
		}
	}
	return okGap{}, false
}

func knownExplainGap(c driverrun.Client, scenario string) (explainGap, bool) {
	for _, g := range knownExplainGaps {
		if g.client == c && g.scenario == scenario {
			return g, true
		}
	}
	return explainGap{}, false
}
