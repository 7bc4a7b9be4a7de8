package connstr

import (
	"errors"
	"strconv"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/ascii"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// driverString writes the connection string the Go driver can parse:
// options it would refuse (ignored values) are left out, values are
// normalised, and with forParse the scheme is mongodb:// (so that the
// driver does no DNS) without the options mongoconn applies itself.
func (p *connParts) driverString(forParse bool) string {
	scheme := p.schemeName()
	if forParse {
		scheme = SchemeMongoDB
	}
	var pairs []string
	for _, o := range p.options {
		if o.drop || (forParse && o.def != nil && o.def.SRVOnly) {
			continue
		}
		v := o.rawValue
		if o.norm != "" {
			v = o.norm
		}
		pairs = append(pairs, o.rawKey+"="+v)
	}
	return p.assemble(scheme, p.hostsText(), pairs, false)
}

// DriverURI is the connection string to hand the Go driver: the user's
// exact string (raw: it holds the password). Redaction is for output only;
// a string the driver refuses is Target.DriverRefusal, never rewritten
// into one it accepts.
func (t *Target) DriverURI() string {
	return t.Raw
}

// driverParse runs the driver's parser and validation on the string
// without DNS and completes what it cannot know (SRV defaults, options it
// does not read).
func (p *connParts) driverParse(l *linter) (*connstring.ConnString, error) {
	cs, err := connstring.ParseAndValidate(p.driverString(true))
	if err != nil {
		return nil, p.driverError(err)
	}
	cs.Original = p.raw
	tlsSet := p.live("tls") != nil
	if p.srv {
		cs.Scheme = SchemeMongoDBSRV
		if !tlsSet {
			cs.SSL = true
			cs.SSLSet = true
		}
		if o := p.live("srvMaxHosts"); o != nil {
			cs.SRVMaxHosts, _ = strconv.Atoi(o.value)
		}
		if o := p.live("srvServiceName"); o != nil {
			cs.SRVServiceName = o.value
		}
	}
	// Go's TLS cannot relax certificate and host-name checks separately:
	// either option means InsecureSkipVerify, as tlsInsecure does.
	if p.live("tlsAllowInvalidCertificates").isTrue() || p.live("tlsAllowInvalidHostnames").isTrue() {
		cs.SSLInsecure = true
		cs.SSLInsecureSet = true
	}
	return cs, nil
}

// driverError turns an error of the driver's parser into a *URIError,
// pointing at the option it names when it names one. The text is
// redacted: the driver may quote option values.
func (p *connParts) driverError(err error) *URIError {
	msg := p.driverReason(err)
	pos := -1
	hint := "fix the connection string as the message says"
	lowerMsg := ascii.Lower(msg)
	auth := strings.Contains(lowerMsg, "password") || strings.Contains(lowerMsg, "username") ||
		strings.Contains(lowerMsg, "auth") || strings.Contains(lowerMsg, "mechanism")
	switch {
	case errors.Is(err, connstring.ErrLoadBalancedWithDirectConnection), errors.Is(err, connstring.ErrLoadBalancedWithMultipleHosts), errors.Is(err, connstring.ErrLoadBalancedWithReplicaSet):
		if o := p.live("loadBalanced"); o != nil {
			pos = o.keySpan.Start
		}
	case auth:
		hint = "give the credentials the authentication mechanism needs (see the authentication docs)"
		if o := p.live("authMechanism"); o != nil {
			pos = o.keySpan.Start
		} else if p.hasUserinfo {
			pos = p.userSpan.Start
		}
	}
	if pos < 0 {
		for _, o := range p.options {
			if o.def != nil && strings.Contains(lowerMsg, ascii.Lower(o.def.Name)) {
				pos = o.keySpan.Start
				break
			}
		}
	}
	return p.errAt(catalogue.IDURIInvalid, pos, msg, hint)
}
