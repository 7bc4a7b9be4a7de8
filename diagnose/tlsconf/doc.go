// Package tlsconf owns the TLS side of a connection string: the
// tls.Config its options ask for, built as a driver builds it (CA file,
// client certificate and key, the options that turn checks off), the
// server's certificate chain judged as a driver would, TLS alerts named,
// and the findings these give.
//
// It imports report, catalogue, connstr, resolve, wireprobe and internal
// helpers, and never diagnose, which calls it from its TLS stage.
package tlsconf
