// Package topofind says what a discovered topology means: the findings and
// checks of a replica set, sharded cluster or load-balanced deployment as
// discovery saw it (set name mismatch, set not initiated, members out of
// reach, no primary, split horizon, duplicate member names), the verdicts
// of discover and tunnel-check, failover and flapping read from
// the members' hello replies, the one-line summary of a probe, and the
// connection strings that fix what server selection refused. Its
// functions are pure: the engine (diagnose) probes, and passes what it saw
// in.
//
// It imports report, catalogue, connstr, redact, wireprobe, sdam and the
// driver's event and error types, and never diagnose or anything that
// imports it.
package topofind
