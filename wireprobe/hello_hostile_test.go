package wireprobe

import (
	"errors"
	"net"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/wire"
	"github.com/mongoconn/mongoconn/wireprobe/hellodoc"
)

// Every hello variant of mongotest, whose claim about the linked driver
// TestHelloVariantsAgainstDriver checks against the driver itself, is read
// as the driver reads it: a reply it refuses is not MongoDB, naming the
// field and its type; a reply it accepts answers with its exact numbers,
// and its wire range is what the driver, keeping 32 bits, reads.
func TestProbeHelloVariantsAsTheDriver(t *testing.T) {
	drv := LinkedDriverWire()
	for _, probeV := range mongotest.HelloVariants("127.0.0.1:1") {
		t.Run(probeV.Name, func(t *testing.T) {
			t.Parallel()
			m := mongotest.StartFakeMongod(t, mongotest.Options{ExactHello: true})
			var v mongotest.HelloVariant
			for _, real := range mongotest.HelloVariants(m.Addr()) {
				if real.Name == probeV.Name {
					v = real
				}
			}
			m.SetHello(v.Hello())
			res := probe(t, m.Addr(), helloTestBudget, HelloOptions{})
			wireOnly := v.Wire != 0 // a number the driver reads, then refuses as a wire range
			switch {
			case v.DriverWorks || wireOnly:
				if res.Err != nil {
					t.Fatalf("probe failed: %v", res.Err)
				}
				compat := CheckWire(DriverWire(res.Server), drv)
				if v.DriverWorks != (compat == WireCompatible) {
					t.Errorf("wire %d-%d read by the driver as %s: %s; the driver works: %v", res.Server.MinWireVersion, res.Server.MaxWireVersion, DriverWire(res.Server), compat, v.DriverWorks)
				}
				if wireOnly {
					got := res.Server.MaxWireVersion
					if v.Field == "minWireVersion" {
						got = res.Server.MinWireVersion
					}
					if got != v.Wire {
						t.Errorf("%s = %d, the server sent %d", v.Field, got, v.Wire)
					}
				}
			default:
				var pe *ProbeError
				if !errors.As(res.Err, &pe) || pe.Kind != ProbeNotMongoDB {
					t.Fatalf("err = %v (kind %s), want not MongoDB", res.Err, res.Server.Kind)
				}
				fe, ok := hellodoc.AsFieldError(res.Err)
				if !ok || !strings.HasPrefix(fe.Field, v.Field) {
					t.Errorf("the error names %+v, the variant changes %s", fe, v.Field)
				}
				f, ok := FindingForProbe(res.Err, m.Addr())
				if !ok || f.ID != catalogue.IDServerNotMongoDB || !strings.Contains(f.Evidence[0], v.Field) || !strings.Contains(f.Evidence[0], fe.Type.String()) {
					t.Errorf("finding %s %q", f.ID, f.Evidence)
				}
				if res.Server.Reachable || res.Server.Kind != "Unknown" {
					t.Errorf("server reachable %v kind %s", res.Server.Reachable, res.Server.Kind)
				}
			}
		})
	}
}

// A valid hello followed by bytes that are no MongoDB message: the server
// is not MongoDB, whatever its first reply said.
func TestProbeHelloJunkAfterHello(t *testing.T) {
	m := mongotest.StartFakeMongod(t, mongotest.Options{Mode: mongotest.ModeJunkAfterHello})
	res := probe(t, m.Addr(), helloTestBudget, HelloOptions{})
	var pe *ProbeError
	if !errors.As(res.Err, &pe) || pe.Kind != ProbeNotMongoDB || !strings.Contains(pe.Detail, "buildInfo") {
		t.Fatalf("err = %v, want not MongoDB after hello", res.Err)
	}
	if f, ok := FindingForProbe(res.Err, m.Addr()); !ok || f.ID != catalogue.IDServerNotMongoDB {
		t.Errorf("finding %s", f.ID)
	}
	if res.Server.Reachable {
		t.Error("a server that sends junk is reachable")
	}
}

// A member whose role changes on every hello is seen to flap by the
// hellos the probe times anyway; a steady one is not.
func TestProbeHelloFlapping(t *testing.T) {
	flap := mongotest.StartFakeMongod(t, mongotest.Options{})
	flap.SetHello(mongotest.FlappingHello(flap.Addr()))
	res := probe(t, flap.Addr(), helloTestBudget, HelloOptions{})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var roles []string
	for _, a := range res.Answers {
		roles = append(roles, a.Role())
	}
	want := "RSPrimary|RSSecondary|the error ShutdownInProgress (code 91)"
	if got := strings.Join(roles, "|"); got != want || !res.Flapped() {
		t.Errorf("answers %q (flapped %v), want %q", got, res.Flapped(), want)
	}
	if len(res.RTTs) != 2 {
		t.Errorf("%d RTT samples, want the 2 good answers", len(res.RTTs))
	}

	steady := mongotest.StartFakeMongod(t, mongotest.Options{})
	res = probe(t, steady.Addr(), helloTestBudget, HelloOptions{})
	if res.Err != nil || res.Flapped() || len(res.Answers) != DefaultHelloSamples {
		t.Errorf("steady server: err %v, flapped %v, %d answers", res.Err, res.Flapped(), len(res.Answers))
	}
}

// A hello answered with an error is asked once more: an error that passes
// at once shows in Answers (and Flapped), and the server is described by
// its good answer; an error that stays fails the probe.
func TestProbeHelloAskedAgainAfterAnError(t *testing.T) {
	shutdown := bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: "quiesce"}, {Key: "code", Value: int32(91)}, {Key: "codeName", Value: "ShutdownInProgress"}}
	primary := bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "setName", Value: "rs0"}, {Key: "ok", Value: 1.0}}

	passing := mongotest.StartFakeMongod(t, mongotest.Options{ExactHello: true})
	passing.SetHello(mongotest.HelloSequence(shutdown, primary, primary, primary))
	res := probe(t, passing.Addr(), helloTestBudget, HelloOptions{Samples: 1})
	if res.Err != nil || res.Server.Kind != "RSPrimary" || !res.Server.Reachable {
		t.Fatalf("err %v, server %+v", res.Err, res.Server)
	}
	if len(res.Answers) != 2 || res.Answers[0].Role() != "the error ShutdownInProgress (code 91)" || !res.Flapped() {
		t.Errorf("answers %+v, flapped %v", res.Answers, res.Flapped())
	}
	for _, a := range res.Answers {
		if a.Sent.IsZero() {
			t.Errorf("answer %+v: no time sent", a)
		}
	}

	staying := mongotest.StartFakeMongod(t, mongotest.Options{ExactHello: true})
	staying.SetHello(mongotest.HelloSequence(shutdown))
	res = probe(t, staying.Addr(), helloTestBudget, HelloOptions{Samples: 1})
	var pe *ProbeError
	if !errors.As(res.Err, &pe) || pe.Kind != ProbeCommandFailed || res.Flapped() || len(res.Answers) != 2 {
		t.Errorf("err %v, flapped %v, answers %+v", res.Err, res.Flapped(), res.Answers)
	}
	if n := staying.Count("hello"); n != 2 {
		t.Errorf("%d hellos, want the first and one more", n)
	}
}

// Junk after valid hello and buildInfo replies, in place of the reply to
// the next hello: not MongoDB either.
func TestProbeHelloJunkAfterBuildInfo(t *testing.T) {
	addr := listen(t, func(c net.Conn) {
		for n := 0; ; n++ {
			m, err := wire.ReadMessage(c, wire.MaxMessageSize)
			if err != nil {
				return
			}
			if n == 2 {
				_, _ = c.Write([]byte(mongotest.JunkAfterHello))
				return
			}
			_, _ = c.Write(wire.AppendMsg(nil, int32(100+n), m.Header.RequestID, 0, okReply(t)))
		}
	})
	res := probe(t, addr, helloTestBudget, HelloOptions{})
	var pe *ProbeError
	if !errors.As(res.Err, &pe) || pe.Kind != ProbeNotMongoDB || !strings.Contains(pe.Detail, "next hello") {
		t.Fatalf("err = %v, want not MongoDB after buildInfo", res.Err)
	}
	if f, ok := FindingForProbe(res.Err, addr); !ok || f.ID != catalogue.IDServerNotMongoDB {
		t.Errorf("finding %s", f.ID)
	}
}

// Behind a load balancer only the first hello asks for the serviceId: the
// answers after it, without one, are the same load balancer, no flap.
func TestProbeHelloLoadBalancedIsSteady(t *testing.T) {
	lb := mongotest.StartFakeMongod(t, mongotest.Options{ExactHello: true})
	first := bson.D{{Key: "msg", Value: "isdbgrid"}, {Key: "serviceId", Value: bson.NewObjectID()}, {Key: "ok", Value: 1.0}}
	later := bson.D{{Key: "msg", Value: "isdbgrid"}, {Key: "ok", Value: 1.0}}
	lb.SetHello(mongotest.HelloSequence(first, later, later))
	res := probe(t, lb.Addr(), helloTestBudget, HelloOptions{LoadBalanced: true})
	if res.Err != nil || res.Server.Kind != "LoadBalancer" || len(res.Answers) != DefaultHelloSamples || res.Flapped() {
		t.Errorf("err %v, kind %s, answers %+v, flapped %v", res.Err, res.Server.Kind, res.Answers, res.Flapped())
	}
}
