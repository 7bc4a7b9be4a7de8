package diagnose

import (
	"errors"
	"net/http"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/report"
)

// Every driver client of the engine gets an HTTP client whose transport
// refuses the cloud instance metadata services unless --aws-imds allows
// them: with MONGODB-AWS and no credentials of its own, the Go driver
// asks the EC2 metadata address through net/http (and ignores
// AWS_EC2_METADATA_DISABLED). A string without a credential source never
// reaches the driver at all; the transport holds even if that rule
// breaks.

// awsState is what the run knows of MONGODB-AWS credentials.
type awsState struct {
	// on is true when the connection string asks for MONGODB-AWS.
	on      bool
	sources []connstr.AWSSource
	// blocked: no source, no --aws-imds: the driver must not start.
	blocked bool
	// inject are the static keys found (the environment's, or the shared
	// credentials file's, which the Go driver does not read itself but
	// the AWS SDKs and the other drivers do), handed to the driver so that
	// it signs with what was found here; nil for the sources the driver
	// fetches at run time.
	inject *connstr.AWSKeys
}

// awsPlan reads the credential sources once per run.
func (x *run) awsPlan() *awsState {
	x.awsOnce.Do(func() {
		cs := x.t.Conn
		if cs == nil || !strings.EqualFold(cs.AuthMechanism, connstr.MechanismAWS) {
			return
		}
		st := &x.aws
		st.on = true
		st.sources = connstr.AWSCredentialSources(x.t, connstr.AWSEnv{Getenv: x.e.getenv})
		any := false
		for i, s := range st.sources {
			if !s.Found {
				continue
			}
			if !any && s.Keys.AccessKeyID != "" {
				st.inject = &st.sources[i].Keys
			}
			any = true
		}
		st.blocked = !any && !x.e.AWSIMDS
	})
	return &x.aws
}

// getenv reads the engine's environment: nothing without one (the
// command line gives it the process's).
func (e *Engine) getenv(k string) string {
	if e.Getenv != nil {
		return e.Getenv(k)
	}
	return ""
}

// guard is the run's metadata guard, made once.
func (x *run) guard() *connfind.MetadataGuard {
	x.guardOnce.Do(func() {
		next := x.e.HTTPTransport
		if next == nil {
			next = http.DefaultTransport
		}
		x.httpGuard = &connfind.MetadataGuard{Allow: x.e.AWSIMDS, Next: next}
	})
	return x.httpGuard
}

// prepareDriver readies the options of every driver client the engine
// builds: the guarded HTTP client, and for MONGODB-AWS the keys of the
// shared credentials file when the driver would not find any of its own.
// It returns an *AWSNoCredentialsError when the string must not reach the
// driver.
func (x *run) prepareDriver(o *options.ClientOptions) error {
	o.SetHTTPClient(&http.Client{Transport: x.guard()})
	st := x.awsPlan()
	if !st.on {
		return nil
	}
	if st.blocked {
		return &connfind.AWSNoCredentialsError{Checked: connfind.AWSSourceNames(st.sources)}
	}
	if st.inject != nil && o.Auth != nil && o.Auth.Username == "" {
		o.Auth.Username = st.inject.AccessKeyID
		o.Auth.Password = st.inject.SecretAccessKey
		o.Auth.PasswordSet = true
		if st.inject.SessionToken != "" {
			props := map[string]string{}
			for k, v := range o.Auth.AuthMechanismProperties {
				props[k] = v
			}
			props["AWS_SESSION_TOKEN"] = st.inject.SessionToken
			o.Auth.AuthMechanismProperties = props
		}
	}
	return nil
}

// awsStage adds auth.aws-no-credentials when the string asks for
// MONGODB-AWS and no source holds credentials (and --aws-imds does not
// allow the metadata service): the driver would find none, and
// mongoconn does not start it. It reports whether it did.
func (x *run) awsStage() bool {
	st := x.awsPlan()
	if !st.on || !st.blocked {
		return false
	}
	x.addFinding(connfind.AWSNoCredentialsFinding(st.sources,
		"the Go driver, finding no credentials of its own, asks the EC2 instance metadata service (169.254.169.254); mongoconn contacts no metadata service unless --aws-imds allows it, so the driver was not started"))
	return true
}

// awsDriverFindings explains a driver failure in which the driver asked
// a metadata service: refused (no --aws-imds) or unanswered.
func (x *run) awsDriverFindings() (report.Finding, bool) {
	st := x.awsPlan()
	g := x.guard()
	if !st.on || g.Asked.Load() == 0 {
		return report.Finding{}, false
	}
	last := "the Go driver found no credentials of its own and asked the EC2 instance metadata service, which gave none (this machine is not an EC2 instance with a role)"
	if g.Refused.Load() > 0 {
		last = "the Go driver found no credentials of its own (a source it reads failed) and asked the EC2 instance metadata service; mongoconn refused that request, as --aws-imds was not given"
	}
	var found []string
	for _, s := range st.sources {
		if s.Found {
			found = append(found, s.Name)
		}
	}
	if len(found) > 0 {
		f := catalogue.NewFinding(catalogue.IDAuthAWSNoCredentials, "authMechanism=MONGODB-AWS: the configured source gave no credentials: "+strings.Join(found, ", "), last)
		return f, true
	}
	return connfind.AWSNoCredentialsFinding(st.sources, last), true
}

// isAWSBlocked reports whether err is the driver stopped for want of
// AWS credentials.
func isAWSBlocked(err error) bool {
	var ae *connfind.AWSNoCredentialsError
	return errors.As(err, &ae)
}
