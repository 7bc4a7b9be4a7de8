package diagnose

import (
	"crypto/tls"
	"crypto/x509"
)

// ClientCertificate reads a client certificate and its private key from
// PEM data the way the TLS stage reads tlsCertificateKeyFile (or
// tlsCertificateFile and tlsPrivateKeyFile joined): certificate and key
// blocks in any order, the key plain, legacy-encrypted (DEK-Info header)
// or PKCS#8 encrypted with password. Failures are ErrTLSNoCertificate,
// ErrTLSNoKey, ErrTLSKeyEncrypted or the parser's own.
func ClientCertificate(data []byte, password string) (tls.Certificate, error) {
	return parseClientPEM(data, password)
}

// CertificatesPEM returns every certificate in PEM data that parses, as
// the TLS stage reads tlsCAFile.
func CertificatesPEM(data []byte) []*x509.Certificate {
	return parseCertsPEM(data)
}
