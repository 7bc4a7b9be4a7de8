// Package connfind owns the failures of a connection turned into
// findings: an error of the driver classified (with the topology its
// server selection saw), this machine's resources told apart from the
// network, the path's proxy and bastion errors, the AWS
// credential sources and the metadata services the driver must not ask,
// the Stable API refusals of a server, the part of serverStatus the
// connection budget reads, the driver's error text quoted within bounds,
// and the small wording helpers these share.
//
// It imports report, redact, catalogue, connstr, netpath, wireprobe and internal
// helpers, and never diagnose, which calls it from its stages.
package connfind
