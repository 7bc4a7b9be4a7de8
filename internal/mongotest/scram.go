package mongotest

import (
	"crypto/md5" // #nosec G501 -- SCRAM-SHA-1 in MongoDB hashes the password with MD5 first
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/xdg-go/scram"
	"github.com/xdg-go/stringprep"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// SCRAM mechanism names, as in saslStart and saslSupportedMechs, and
// MONGODB-AWS.
const (
	MechSCRAMSHA1   = "SCRAM-SHA-1"
	MechSCRAMSHA256 = "SCRAM-SHA-256"
	MechAWS         = "MONGODB-AWS"
)

// awsNonceLen is the length of each half of the MONGODB-AWS nonce.
const awsNonceLen = 32

// awsStart answers the first MONGODB-AWS message {r: client nonce, p:
// 110} with {s: client nonce + server nonce, h: the STS host}.
func (s *FakeMongod) awsStart(cc *conn, body bson.Raw) bson.D {
	payload, ok := saslPayload(body)
	if !ok {
		return errorReply(codeProtocolError, "ProtocolError", "saslStart requires a payload")
	}
	_, nonce, ok := bson.Raw(payload).Lookup("r").BinaryOK()
	if !ok || len(nonce) != awsNonceLen {
		return errorReply(codeProtocolError, "ProtocolError", "MONGODB-AWS: the client nonce must be 32 bytes")
	}
	server := make([]byte, awsNonceLen)
	if _, err := io.ReadFull(rand.Reader, server); err != nil {
		return errorReply(codeInternalError, "InternalError", err.Error())
	}
	reply, err := bson.Marshal(bson.D{{Key: "s", Value: bson.Binary{Data: append(append([]byte(nil), nonce...), server...)}}, {Key: "h", Value: "sts.amazonaws.com"}})
	if err != nil {
		return errorReply(codeInternalError, "InternalError", err.Error())
	}
	cc.sasl = &saslConv{mech: MechAWS, db: "$external"}
	return bson.D{
		{Key: "conversationId", Value: saslConversationID},
		{Key: "done", Value: false},
		{Key: "payload", Value: bson.Binary{Data: reply}},
		{Key: "ok", Value: 1.0},
	}
}

// scramIterations is the PBKDF2 iteration count of stored credentials: the
// minimum drivers accept (4096), so that tests under -race stay fast; real
// servers use 10000 (SHA-1) and 15000 (SHA-256).
const scramIterations = 4096

// scramSaltLen is the salt length real servers use for SCRAM-SHA-256.
const scramSaltLen = 28

// User is a database user a FakeMongod authenticates with SCRAM.
type User struct {
	// DB is the authentication database ("admin" when empty).
	DB string
	// Name and Password are the credentials.
	Name     string
	Password string
	// Mechanisms the user has credentials for (both SCRAM mechanisms when
	// empty).
	Mechanisms []string
}

// errNoSuchUser and errNoMechanism are what the credential lookup tells the
// SCRAM conversation; they become AuthError reasons.
var (
	errNoSuchUser  = errors.New("no such user")
	errNoMechanism = errors.New("user has no credentials for this mechanism")
)

type storedUser struct {
	mechs []string
	creds map[string]scram.StoredCredentials
}

// userStore holds the users of one server (or of a whole replica set).
type userStore struct {
	mu    sync.RWMutex
	users map[string]storedUser // key: "db.user"
}

func newUserStore(users []User) (*userStore, error) {
	s := &userStore{users: map[string]storedUser{}}
	for _, u := range users {
		if err := s.add(u); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func userKey(db, name string) string {
	if db == "" {
		db = "admin"
	}
	return db + "." + name
}

// add derives the user's stored credentials (salt, StoredKey, ServerKey)
// the way a server does on createUser; the password itself is not kept.
func (s *userStore) add(u User) error {
	if u.Name == "" {
		return errors.New("mongotest: a user needs a name")
	}
	mechs := u.Mechanisms
	if len(mechs) == 0 {
		mechs = []string{MechSCRAMSHA1, MechSCRAMSHA256}
	}
	su := storedUser{mechs: append([]string(nil), mechs...), creds: map[string]scram.StoredCredentials{}}
	for _, m := range mechs {
		salt := make([]byte, scramSaltLen)
		if _, err := io.ReadFull(rand.Reader, salt); err != nil {
			return err
		}
		kf := scram.KeyFactors{Salt: string(salt), Iters: scramIterations}
		var client *scram.Client
		var err error
		switch m {
		case MechSCRAMSHA1:
			client, err = scram.SHA1.NewClientUnprepped(u.Name, mongoPasswordDigest(u.Name, u.Password), "")
		case MechSCRAMSHA256:
			var prepped string
			prepped, err = stringprep.SASLprep.Prepare(u.Password)
			if err == nil {
				client, err = scram.SHA256.NewClientUnprepped(u.Name, prepped, "")
			}
		default:
			return fmt.Errorf("mongotest: unsupported mechanism %q for user %s", m, u.Name)
		}
		if err != nil {
			return fmt.Errorf("mongotest: credentials of %s: %w", u.Name, err)
		}
		creds, err := client.GetStoredCredentialsWithError(kf)
		if err != nil {
			return fmt.Errorf("mongotest: credentials of %s: %w", u.Name, err)
		}
		su.creds[m] = creds
	}
	s.mu.Lock()
	s.users[userKey(u.DB, u.Name)] = su
	s.mu.Unlock()
	return nil
}

// mongoPasswordDigest is the MD5 of "user:mongo:password" in hex, the
// password SCRAM-SHA-1 uses in MongoDB (auth specification).
func mongoPasswordDigest(user, password string) string {
	h := md5.New() // #nosec G401 -- mandated by the protocol
	_, _ = io.WriteString(h, user+":mongo:"+password)
	return fmt.Sprintf("%x", h.Sum(nil))
}

// empty reports whether the store holds no user.
func (s *userStore) empty() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.users) == 0
}

// mechanisms answers hello's saslSupportedMechs: "db.user" -> the user's
// mechanisms, nil when there is no such user.
func (s *userStore) mechanisms(who string) bson.A {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[who]
	if !ok {
		return nil
	}
	out := make(bson.A, len(u.mechs))
	for i, m := range u.mechs {
		out[i] = m
	}
	return out
}

// lookup returns the stored credentials of db.name for mech.
func (s *userStore) lookup(db, name, mech string) (scram.StoredCredentials, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[userKey(db, name)]
	if !ok {
		return scram.StoredCredentials{}, errNoSuchUser
	}
	c, ok := u.creds[mech]
	if !ok {
		return scram.StoredCredentials{}, errNoMechanism
	}
	return c, nil
}

// saslConversationID is the conversationId real servers answer with.
const saslConversationID = int32(1)

// saslConv is a SCRAM conversation in progress on one connection.
type saslConv struct {
	mech      string
	db        string
	user      string
	conv      *scram.ServerConversation
	skipEmpty bool
	verified  bool // the client proof was accepted; an empty step remains
}

// saslStart begins a conversation: saslStart {mechanism, payload,
// options: {skipEmptyExchange}} on db.
func (s *FakeMongod) saslStart(cc *conn, db string, body bson.Raw) bson.D {
	cc.sasl = nil
	mech, _ := body.Lookup("mechanism").StringValueOK()
	if mech == MechAWS && s.awsAuth {
		return s.awsStart(cc, body)
	}
	if mech != MechSCRAMSHA1 && mech != MechSCRAMSHA256 {
		return errorReply(codeMechanismUnavailable, "MechanismUnavailable",
			fmt.Sprintf("Received authentication for mechanism %s which is not enabled", mech))
	}
	if db == "" {
		db = "admin"
	}
	payload, ok := saslPayload(body)
	if !ok {
		return errorReply(codeProtocolError, "ProtocolError", "saslStart requires a payload")
	}
	skip, _ := body.Lookup("options", "skipEmptyExchange").BooleanOK()
	var hash scram.HashGeneratorFcn = scram.SHA256
	if mech == MechSCRAMSHA1 {
		hash = scram.SHA1
	}
	srv, err := hash.NewServer(func(name string) (scram.StoredCredentials, error) {
		return s.auth.lookup(db, name, mech)
	})
	if err != nil {
		return errorReply(codeInternalError, "InternalError", err.Error())
	}
	sc := &saslConv{mech: mech, db: db, conv: srv.NewConversation(), skipEmpty: skip}
	out, err := sc.conv.Step(string(payload))
	sc.user = db + "." + sc.conv.Username()
	if err != nil {
		if errors.Is(err, errNoMechanism) {
			return errorReply(codeMechanismUnavailable, "MechanismUnavailable",
				fmt.Sprintf("Unable to use %s based authentication for user without any %s credentials registered", mech, mech))
		}
		return authFailed()
	}
	cc.sasl = sc
	return bson.D{
		{Key: "conversationId", Value: saslConversationID},
		{Key: "done", Value: false},
		{Key: "payload", Value: bson.Binary{Data: []byte(out)}},
		{Key: "ok", Value: 1.0},
	}
}

// saslContinue carries a conversation on: the client proof, then (without
// skipEmptyExchange) an empty step.
func (s *FakeMongod) saslContinue(cc *conn, body bson.Raw) bson.D {
	sc := cc.sasl
	id, ok := body.Lookup("conversationId").AsInt64OK()
	if sc == nil || !ok || int32(id) != saslConversationID {
		return errorReply(codeProtocolError, "ProtocolError", "No SASL session state found")
	}
	if sc.mech == MechAWS {
		// The signed GetCallerIdentity request would go to STS: the fake
		// has none to ask, and accepts no signature.
		cc.sasl = nil
		return authFailed()
	}
	payload, _ := saslPayload(body)
	if sc.verified {
		cc.sasl = nil
		s.authenticated(cc, sc.user)
		return saslReply(true, nil)
	}
	out, err := sc.conv.Step(string(payload))
	if err != nil || !sc.conv.Valid() {
		cc.sasl = nil
		return authFailed()
	}
	if sc.skipEmpty {
		cc.sasl = nil
		s.authenticated(cc, sc.user)
		return saslReply(true, []byte(out))
	}
	sc.verified = true
	return saslReply(false, []byte(out))
}

// speculative runs hello's speculativeAuthenticate (a saslStart with a db
// field) and returns the document to embed, or nil when it failed: servers
// then leave the field out and the driver authenticates normally.
func (s *FakeMongod) speculative(cc *conn, spec bson.Raw) bson.D {
	if _, err := spec.LookupErr("saslStart"); err != nil {
		return nil
	}
	db, _ := spec.Lookup("db").StringValueOK()
	r := s.saslStart(cc, db, spec)
	if ok, _ := lookupD(r, "ok").(float64); ok != 1 {
		cc.sasl = nil
		return nil
	}
	out := make(bson.D, 0, 3)
	for _, e := range r {
		if e.Key != "ok" {
			out = append(out, e)
		}
	}
	return out
}

func (s *FakeMongod) authenticated(cc *conn, user string) {
	cc.user = user
	s.mu.Lock()
	s.authOK++
	s.mu.Unlock()
}

// Authentications returns how many SCRAM conversations succeeded.
func (s *FakeMongod) Authentications() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authOK
}

func saslReply(done bool, payload []byte) bson.D {
	if payload == nil {
		payload = []byte{}
	}
	return bson.D{
		{Key: "conversationId", Value: saslConversationID},
		{Key: "done", Value: done},
		{Key: "payload", Value: bson.Binary{Data: payload}},
		{Key: "ok", Value: 1.0},
	}
}

func authFailed() bson.D {
	return errorReply(codeAuthenticationFailed, "AuthenticationFailed", "Authentication failed.")
}

// saslPayload reads the payload field, binary (drivers) or string (some
// shells).
func saslPayload(body bson.Raw) ([]byte, bool) {
	v, err := body.LookupErr("payload")
	if err != nil {
		return nil, false
	}
	if _, data, ok := v.BinaryOK(); ok {
		return data, true
	}
	if s, ok := v.StringValueOK(); ok {
		return []byte(s), true
	}
	return nil, false
}

func lookupD(d bson.D, key string) any {
	for _, e := range d {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}
