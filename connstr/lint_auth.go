package connstr

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
)

// mechanismProperties returns the live authMechanismProperties, in order.
func (p *connParts) mechanismProperties() (*rawOption, [][2]string) {
	o := p.live("authMechanismProperties")
	if o == nil {
		return nil, nil
	}
	var props [][2]string
	for _, pair := range strings.Split(o.value, ",") {
		k, v, _ := strings.Cut(pair, ":")
		props = append(props, [2]string{k, v})
	}
	return o, props
}

// lintAuth applies the authentication specification's rules on
// credentials, authSource and mechanism properties, before the driver
// does, so that the message can point at the option and never quotes a
// password.
func (l *linter) lintAuth() error {
	p := l.p
	mech := p.live("authMechanism")
	propsOpt, props := p.mechanismProperties()
	src := p.live("authSource")
	name := ""
	if mech != nil {
		name = strings.ToUpper(mech.value)
	}
	at := -1
	if mech != nil {
		at = mech.keySpan.Start
	}
	user := p.hasUserinfo && p.username != ""
	pass := p.hasPassword && p.password != ""
	fail := func(pos int, msg, hint string) error {
		if pos < 0 {
			pos = at
		}
		return p.errAt(catalogue.IDURIInvalid, pos, msg, hint)
	}
	propPos := -1
	if propsOpt != nil {
		propPos = propsOpt.keySpan.Start
	}
	allowProps := func(allowed ...string) error {
		for _, kv := range props {
			ok := false
			for _, a := range allowed {
				ok = ok || kv[0] == a
			}
			if !ok {
				what := "no mechanism properties"
				if len(allowed) > 0 {
					what = "only " + strings.Join(allowed, ", ")
				}
				return fail(propPos, fmt.Sprintf("%s does not take the mechanism property %q", name, shorten(kv[0], 40)),
					fmt.Sprintf("%s takes %s in authMechanismProperties", name, what))
			}
		}
		return nil
	}
	external := func() error {
		if src != nil && src.value != "$external" {
			return fail(src.keySpan.Start, fmt.Sprintf("%s authenticates against $external, not %s", name, shown(src)), "write authSource=$external, or remove authSource")
		}
		return nil
	}
	switch name {
	case "":
		if propsOpt != nil && !user {
			return nil
		}
	case "SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN":
		if !user {
			return fail(-1, name+" needs a user name", "write mongodb://user:<password>@host")
		}
		if !pass {
			return fail(-1, name+" needs a password", "write mongodb://user:<password>@host")
		}
		return allowProps()
	case "MONGODB-X509":
		if p.hasPassword {
			return fail(-1, "MONGODB-X509 takes no password: the client certificate proves who you are", "remove the password (keep the user name, the certificate subject, or nothing)")
		}
		if err := allowProps(); err != nil {
			return err
		}
		return external()
	case "MONGODB-AWS":
		if user && !pass {
			return fail(-1, "MONGODB-AWS needs the secret access key as the password when a user name (access key id) is given", "write mongodb://<access key id>:<secret key>@host, or give neither")
		}
		if pass && !user {
			return fail(-1, "MONGODB-AWS needs the access key id as the user name when a password is given", "write mongodb://<access key id>:<secret key>@host, or give neither")
		}
		if err := allowProps("AWS_SESSION_TOKEN"); err != nil {
			return err
		}
		if len(props) > 0 && !user {
			return fail(propPos, "AWS_SESSION_TOKEN needs the access key id and secret key in the user information", "write mongodb://<access key id>:<secret key>@host, or remove the token")
		}
		if user && pass {
			l.warnValue(nil, "MONGODB-AWS with an access key id and secret key in the user information: the authentication specification is removing credentials from the connection string for MONGODB-AWS, and newer drivers refuse such a string and take the credentials from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, the shared credentials file, the instance or container role)",
				"remove the user name and password (and AWS_SESSION_TOKEN) from the string and give the credentials through the environment: mongodb://host/?authMechanism=MONGODB-AWS")
		}
		return external()
	case "GSSAPI":
		if !user {
			return fail(-1, "GSSAPI needs a user name (the Kerberos principal)", "write mongodb://user%40REALM@host")
		}
		if err := allowProps("SERVICE_NAME", "CANONICALIZE_HOST_NAME", "SERVICE_REALM", "SERVICE_HOST"); err != nil {
			return err
		}
		for _, kv := range props {
			if kv[0] == "CANONICALIZE_HOST_NAME" {
				switch kv[1] {
				case "none", "forward", "forwardAndReverse", "true", "false":
				default:
					return fail(propPos, fmt.Sprintf("CANONICALIZE_HOST_NAME %q is not none, forward or forwardAndReverse", shorten(kv[1], 40)), "write CANONICALIZE_HOST_NAME:none, forward or forwardAndReverse")
				}
			}
		}
		return external()
	case "MONGODB-OIDC":
		if p.hasPassword {
			return fail(-1, "MONGODB-OIDC takes no password: the identity provider's token proves who you are", "remove the password")
		}
		if err := allowProps("ENVIRONMENT", "TOKEN_RESOURCE"); err != nil {
			for _, kv := range props {
				if kv[0] == "ALLOWED_HOSTS" {
					return fail(propPos, "ALLOWED_HOSTS cannot be set in the connection string", "set ALLOWED_HOSTS in the driver's client options")
				}
			}
			return err
		}
		env, resource := "", false
		for _, kv := range props {
			switch kv[0] {
			case "ENVIRONMENT":
				env = kv[1]
			case "TOKEN_RESOURCE":
				resource = true
			}
		}
		switch env {
		case "":
			if p.hasOption("authMechanismProperties") {
				// Written but ignored for its value: the warning says so.
				break
			}
			return fail(propPos, "MONGODB-OIDC needs ENVIRONMENT in authMechanismProperties (azure, gcp, k8s or test) when the connection string alone configures it: the other way to get a token, a callback (OIDCMachineCallback, OIDCHumanCallback), can only be set in code, in the driver's client options",
				"add authMechanismProperties=ENVIRONMENT:k8s (or ENVIRONMENT:azure or gcp with TOKEN_RESOURCE:<audience>), or set the callback in the application's client options")
		case "test", "k8s":
			if env != "" && user {
				return fail(propPos, fmt.Sprintf("MONGODB-OIDC with ENVIRONMENT:%s takes no user name", env), "remove the user name")
			}
		case "azure", "gcp":
			if !resource {
				return fail(propPos, fmt.Sprintf("MONGODB-OIDC with ENVIRONMENT:%s needs TOKEN_RESOURCE (the token audience)", env), "add TOKEN_RESOURCE:<audience> to authMechanismProperties")
			}
		default:
			return fail(propPos, fmt.Sprintf("MONGODB-OIDC ENVIRONMENT %q is not test, azure, gcp or k8s", shorten(env, 40)), "write ENVIRONMENT:azure, gcp, k8s or test")
		}
		return external()
	}
	return nil
}
