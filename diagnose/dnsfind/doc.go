// Package dnsfind owns the wording of DNS answers and failures: which
// server failed and how, the fixes a lookup failure adds, SRV and address
// records summed up for checks and evidence, and an Atlas cluster name
// that does not exist.
//
// It imports report, catalogue, connstr, redact and resolve, and never
// diagnose, which calls it from its dns stage.
package dnsfind
