package explain

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
)

// exValueRules recognise option values a driver refused and a machine out
// of file descriptors, ports or memory. They come first: a phrase they
// explain is not read again by the generic rules that yield.
func exValueRules() []exRule {
	// The Go driver's parser: `invalid value for "retryWrites": "ture"`,
	// `invalid 'directConnection' value: "x"`.
	invalidValue := exRE(`invalid value for "([^"\n]{1,60})": "([^"\n]{0,80})"|invalid '([A-Za-z]{1,60})' value: "([^"\n]{0,80})"`)
	valueFacts := func(m *exMatch) []string {
		key, value := m.group(1), m.group(2)
		if key == "" {
			key, value = m.group(3), m.group(4)
		}
		return []string{fmt.Sprintf("the value %q of option %s is not one the driver accepts", value, key)}
	}
	return []exRule{
		{id: catalogue.IDDriverRefused, pattern: invalidValue, fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDDriverRefused, facts: append(valueFacts(m), "the Go driver refuses the whole connection string: the application does not start")}
		}},
		{id: catalogue.IDURIInvalidValue, pattern: invalidValue, fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDURIInvalidValue, facts: valueFacts(m)}
		}},
		{id: catalogue.IDDriverRefused, pattern: exRE(`heartbeatFrequencyMS must exceed the minimum heartbeat interval of 500ms|error parsing uri: must have a / before the query \?`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDDriverRefused, facts: []string{"the Go driver refuses the connection string: " + m.group(0)}}
		}},
		{id: catalogue.IDLocalResources, conn: true, pattern: exRE(`(?i)too many open files(?: in system)?|\bE(?:MFILE|NFILE|ADDRNOTAVAIL|NOBUFS)\b|cannot assign requested address|can't assign requested address|no buffer space available|socket: cannot allocate memory|\[Errno (?:23|24|99|105)\]|\[WinError (?:10024|10049|10055)\]`), fn: func(m *exMatch) exOutcome {
			return exOutcome{id: catalogue.IDLocalResources, facts: []string{exLocalReason(m.group(0))}}
		}},
	}
}

// exLocalReason says what the machine ran out of, from the phrase.
func exLocalReason(phrase string) string {
	p := strings.ToLower(phrase)
	switch {
	case strings.Contains(p, "in system"), strings.Contains(p, "enfile"), p == "[errno 23]":
		return "the system ran out of file descriptors (ENFILE): nothing reached the network"
	case strings.Contains(p, "open files"), strings.Contains(p, "emfile"), p == "[errno 24]", strings.Contains(p, "10024"):
		return "the process ran out of file descriptors (EMFILE, ulimit -n): nothing reached the network"
	case strings.Contains(p, "assign"), strings.Contains(p, "addrnotavail"), p == "[errno 99]", strings.Contains(p, "10049"):
		return "no local port was free for the connection (EADDRNOTAVAIL): nothing reached the network"
	case strings.Contains(p, "memory"):
		return "the system ran out of memory for a socket (ENOMEM): nothing reached the network"
	}
	return "the system ran out of socket buffers (ENOBUFS): nothing reached the network"
}
