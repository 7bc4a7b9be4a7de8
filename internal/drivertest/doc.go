// Package drivertest is the differential suite: loopback deployments
// (internal/mongotest) against which the real clients applications use,
// the Node.js driver, mongosh and PyMongo (internal/driverrun), and
// mongoconn itself are run, to check that mongoconn's verdicts are the
// clients' truth:
//
//   - diagnose's ok agrees with whether each client's {ping: 1} succeeded
//     (on a wire-version mismatch, wireprobe's release table for the
//     client's release does: diagnose's ok is the Go driver's);
//   - explain, given the exact text a client printed, names first the
//     cause diagnose names first.
//
// Its tests build only with the tag "drivers" and need root, to run every
// client in a network namespace of its own (make drivers-install, then
// make drivers). Known disagreements are tables in known_test.go that may
// only shrink.
package drivertest
