package diagnose

import (
	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/report"
)

// localFinding is local.resources when err says this machine ran out of
// file descriptors, ports, buffers or memory: such a failure never reached
// the network, so it is never a tcp, tls or server finding.
func localFinding(addr string, err error) (report.Finding, bool) {
	errno, ok := netpath.LocalResourceError(err)
	if !ok {
		return report.Finding{}, false
	}
	ev := netpath.LocalResourceReason(errno)
	if addr != "" {
		ev = addr + ": the connection could not be opened: " + ev
	}
	return catalogue.NewFinding(catalogue.IDLocalResources, ev), true
}

// localOr is local.resources in place of f, a DNS finding about name,
// when err says the lookup's socket could not be opened: the question
// never reached a DNS server, so nothing is known of the name.
func localOr(f report.Finding, name string, err error) report.Finding {
	errno, ok := netpath.LocalResourceError(err)
	if !ok {
		return f
	}
	return catalogue.NewFinding(catalogue.IDLocalResources, name+": the DNS question could not be sent: "+netpath.LocalResourceReason(errno))
}

// skipPingReason is why the driver's ping does not run once an earlier
// finding is an error: the Go driver refuses the string itself, or a raw
// stage found a problem the driver would hit.
func (x *run) skipPingReason() string {
	if r := x.t.DriverRefusal; r != nil {
		return r.Error() + ": an application built with it does not start"
	}
	return "an earlier stage found a problem the driver would hit"
}
