package connfind

import (
	"errors"
	"fmt"

	"github.com/mongoconn/mongoconn/redact"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/description"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// Bounds on what the driver's errors may cost: a server-selection error
// formats the driver's whole topology, which a seed list or a hello can
// make thousands of servers long, and every text is redacted and
// classified after it is formatted.
const (
	// maxDriverErrorText caps the text of a driver error that is quoted:
	// far more than any error names about one server.
	maxDriverErrorText = 4096

	// MaxDriverServers caps the servers of the driver's topology that a
	// finding reads or quotes: more than a deployment has members.
	MaxDriverServers = 64
)

// DriverErrorText is err's text for a check or a finding, redacted, of
// bounded size: a server-selection error is described from its parts
// (what it wraps, the topology's kind and size), never formatted whole.
func DriverErrorText(err error) string {
	if err == nil {
		return ""
	}
	var sel topology.ServerSelectionError
	if errors.As(err, &sel) {
		s := "server selection error"
		if sel.Wrapped != nil {
			s += ": " + capText(sel.Wrapped.Error())
		}
		return redact.Redact(s + fmt.Sprintf(", current topology: %s with %d server(s)", sel.Desc.Kind, len(sel.Desc.Servers)))
	}
	return redact.Redact(capText(err.Error()))
}

// capText cuts s to maxDriverErrorText bytes, saying how much was left
// out.
func capText(s string) string {
	if len(s) <= maxDriverErrorText {
		return s
	}
	return fmt.Sprintf("%s... (%d bytes more)", s[:maxDriverErrorText], len(s)-maxDriverErrorText)
}

// BoundedServers is the first MaxDriverServers servers of desc.
func BoundedServers(desc description.Topology) []description.Server {
	if len(desc.Servers) > MaxDriverServers {
		return desc.Servers[:MaxDriverServers]
	}
	return desc.Servers
}
