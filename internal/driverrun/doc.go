// Package driverrun runs the MongoDB clients applications are written
// with (the Node.js driver, mongosh and PyMongo) against a connection
// string and reads what they report: whether {ping: 1} succeeded and,
// when it did not, the error text a user of that client sees. It also
// reads mongoconn's JSON reports and writes captured texts in the format of
// testdata/explain, so that the differential suite (internal/drivertest,
// `make drivers`) can hold mongoconn's verdicts against the real clients'.
//
// Everything here is a parser or a runner of outside programs: every read
// is bounded, every process has a deadline, and nothing here listens or
// dials. Where the clients may connect is decided by the caller (the suite
// runs them in a network namespace that has only a loopback interface).
package driverrun
