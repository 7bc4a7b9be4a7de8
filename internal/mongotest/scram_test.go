package mongotest

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/xdg-go/scram"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func scramURI(m *FakeMongod, user, pass, query string) string {
	u := url.URL{Scheme: "mongodb", User: url.UserPassword(user, pass), Host: m.Addr(), Path: "/", RawQuery: query}
	return u.String()
}

func TestDriverAuthenticatesWithSCRAM(t *testing.T) {
	users := []User{
		{Name: "alice", Password: "s3cret:with@odd/chars"},
		{Name: "bob", Password: "hunter2", Mechanisms: []string{MechSCRAMSHA256}},
		{Name: "carol", Password: "pw", DB: "app", Mechanisms: []string{MechSCRAMSHA1}},
		{Name: "dave", Password: "IX\u00ADpassword"}, // SASLprep maps the soft hyphen to nothing
	}
	cases := []struct {
		name, user, pass, query string
		wantErr                 bool
		wantCode                int32
	}{
		{"SCRAM-SHA-256", "alice", "s3cret:with@odd/chars", "authMechanism=SCRAM-SHA-256", false, 0},
		{"SCRAM-SHA-1", "alice", "s3cret:with@odd/chars", "authMechanism=SCRAM-SHA-1", false, 0},
		{"negotiated", "alice", "s3cret:with@odd/chars", "", false, 0},
		{"negotiated SHA-256 only", "bob", "hunter2", "", false, 0},
		{"negotiated SHA-1 only in app", "carol", "pw", "authSource=app", false, 0},
		{"SASLprep", "dave", "IXpassword", "authMechanism=SCRAM-SHA-256", false, 0},
		{"wrong password", "alice", "nope", "authMechanism=SCRAM-SHA-256", true, 18},
		{"wrong password negotiated", "alice", "nope", "", true, 18},
		{"unknown user", "mallory", "x", "authMechanism=SCRAM-SHA-256", true, 18},
		{"wrong authSource", "carol", "pw", "authMechanism=SCRAM-SHA-1", true, 18},
		{"mechanism the user lacks", "bob", "hunter2", "authMechanism=SCRAM-SHA-1", true, 334},
	}
	m := StartFakeMongod(t, Options{Users: users})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, startsBefore := m.Authentications(), m.Count("saslStart")
			c := connectDriver(t, scramURI(m, tc.user, tc.pass, tc.query))
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			err := c.Ping(ctx, nil)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("ping: %v", err)
				}
				if m.Authentications() <= before {
					t.Errorf("no authentication succeeded")
				}
				// Without authMechanism the driver authenticates inside
				// hello (speculativeAuthenticate): no saslStart is sent.
				if starts := m.Count("saslStart") - startsBefore; tc.query == "" && starts != 0 {
					t.Errorf("negotiated SCRAM sent %d saslStart, want speculative authentication", starts)
				}
				return
			}
			if err == nil {
				t.Fatalf("ping succeeded with bad credentials")
			}
			var se mongo.ServerError
			if !errors.As(err, &se) || !se.HasErrorCode(int(tc.wantCode)) {
				t.Errorf("err = %v, want server error code %d", err, tc.wantCode)
			}
			if strings.Contains(err.Error(), tc.pass) {
				t.Errorf("the password appears in the error")
			}
		})
	}
}

func TestSaslSupportedMechs(t *testing.T) {
	m := StartFakeMongod(t, Options{Users: []User{
		{Name: "alice", Password: "a"},
		{Name: "bob", Password: "b", DB: "app", Mechanisms: []string{MechSCRAMSHA256}},
	}})
	cases := []struct {
		who  string
		want []string // nil: field absent
	}{
		{"admin.alice", []string{MechSCRAMSHA1, MechSCRAMSHA256}},
		{"app.bob", []string{MechSCRAMSHA256}},
		{"admin.bob", nil},
		{"nobody", nil},
	}
	r := dialRaw(t, m.Addr())
	for _, tc := range cases {
		b := r.mustMsg("admin", bson.D{{Key: "hello", Value: 1}, {Key: "saslSupportedMechs", Value: tc.who}})
		v, err := b.LookupErr("saslSupportedMechs")
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: saslSupportedMechs = %v, want absent", tc.who, v)
			}
			continue
		}
		var got []string
		if err != nil || v.Unmarshal(&got) != nil || strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: saslSupportedMechs = %v, want %v", tc.who, got, tc.want)
		}
	}
}

// TestSCRAMConversationWithoutSkip runs the full three-step conversation
// an older driver sends (no skipEmptyExchange), by hand.
func TestSCRAMConversationWithoutSkip(t *testing.T) {
	m := StartFakeMongod(t, Options{Users: []User{{Name: "alice", Password: "pw"}}})
	client, err := scram.SHA256.NewClient("alice", "pw", "")
	if err != nil {
		t.Fatal(err)
	}
	conv := client.NewConversation()
	first, err := conv.Step("")
	if err != nil {
		t.Fatal(err)
	}
	r := dialRaw(t, m.Addr())
	b := r.mustMsg("admin", bson.D{{Key: "saslStart", Value: 1}, {Key: "mechanism", Value: MechSCRAMSHA256},
		{Key: "payload", Value: bson.Binary{Data: []byte(first)}}})
	id, _ := b.Lookup("conversationId").Int32OK()
	if done, _ := b.Lookup("done").BooleanOK(); done || id != 1 {
		t.Fatalf("saslStart reply: %s", b)
	}
	_, serverFirst := b.Lookup("payload").Binary()
	final, err := conv.Step(string(serverFirst))
	if err != nil {
		t.Fatal(err)
	}
	b = r.mustMsg("admin", bson.D{{Key: "saslContinue", Value: 1}, {Key: "conversationId", Value: id},
		{Key: "payload", Value: bson.Binary{Data: []byte(final)}}})
	if done, _ := b.Lookup("done").BooleanOK(); done {
		t.Fatalf("done before the empty exchange: %s", b)
	}
	_, serverFinal := b.Lookup("payload").Binary()
	if _, err := conv.Step(string(serverFinal)); err != nil || !conv.Valid() {
		t.Fatalf("server signature rejected: %v", err)
	}
	b = r.mustMsg("admin", bson.D{{Key: "saslContinue", Value: 1}, {Key: "conversationId", Value: id},
		{Key: "payload", Value: bson.Binary{Data: []byte{}}}})
	if done, _ := b.Lookup("done").BooleanOK(); !done {
		t.Fatalf("not done after the empty exchange: %s", b)
	}
	if m.Authentications() != 1 {
		t.Errorf("authentications = %d, want 1", m.Authentications())
	}
}

func TestSASLErrors(t *testing.T) {
	m := StartFakeMongod(t, Options{Users: []User{{Name: "alice", Password: "pw"}}})
	cases := []struct {
		name     string
		cmd      bson.D
		wantCode int32
		wantMsg  string
	}{
		{"unknown mechanism", bson.D{{Key: "saslStart", Value: 1}, {Key: "mechanism", Value: "PLAIN"}, {Key: "payload", Value: bson.Binary{Data: []byte("x")}}},
			334, "Received authentication for mechanism PLAIN which is not enabled"},
		{"no payload", bson.D{{Key: "saslStart", Value: 1}, {Key: "mechanism", Value: MechSCRAMSHA256}}, 17, "payload"},
		{"garbage payload", bson.D{{Key: "saslStart", Value: 1}, {Key: "mechanism", Value: MechSCRAMSHA256}, {Key: "payload", Value: bson.Binary{Data: []byte("\x00\xff")}}},
			18, "Authentication failed."},
		{"continue without start", bson.D{{Key: "saslContinue", Value: 1}, {Key: "conversationId", Value: int32(1)}, {Key: "payload", Value: bson.Binary{}}},
			17, "No SASL session state found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := dialRaw(t, m.Addr()).mustMsg("admin", tc.cmd)
			code, _ := b.Lookup("code").Int32OK()
			msg, _ := b.Lookup("errmsg").StringValueOK()
			if code != tc.wantCode || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("reply %s, want code %d %q", b, tc.wantCode, tc.wantMsg)
			}
		})
	}
}

func TestAddUserAtRunTime(t *testing.T) {
	m := StartFakeMongod(t, Options{})
	if err := m.AddUser(User{Name: "late", Password: "pw", Mechanisms: []string{"MONGODB-CR"}}); err == nil {
		t.Errorf("an unsupported mechanism was accepted")
	}
	if err := m.AddUser(User{Password: "pw"}); err == nil {
		t.Errorf("a user without a name was accepted")
	}
	if err := m.AddUser(User{Name: "late", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	c := connectDriver(t, scramURI(m, "late", "pw", ""))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.Ping(ctx, nil); err != nil {
		t.Fatalf("ping as a user added at run time: %v", err)
	}
}

func TestStableAPIThroughDriver(t *testing.T) {
	strict := options.ServerAPI(options.ServerAPIVersion1).SetStrict(true)
	cases := []struct {
		name    string
		api     APIMode
		wantErr bool
	}{
		{"5.0+ accepts strict ping", APIStable, false},
		{"strict rejected", APIRejectStrict, true},
		{"server without Stable API", APIUnknown, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := StartFakeMongod(t, Options{API: tc.api})
			// A refused handshake makes server selection give up: keep it short.
			c := connectDriver(t, m.URI(), options.Client().SetServerAPIOptions(strict).SetServerSelectionTimeout(quietTimeout))
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			err := c.Ping(ctx, nil)
			if (err != nil) != tc.wantErr {
				t.Errorf("ping: %v, want error %v", err, tc.wantErr)
			}
			if m.Count("hello") == 0 {
				t.Errorf("the driver did not send hello with a Stable API (%s)", m.CountSummary())
			}
		})
	}
}
