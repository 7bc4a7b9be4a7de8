package wireprobe

import (
	"go.mongodb.org/mongo-driver/v2/bson"
)

// RelaxedJSON writes a server reply as relaxed extended JSON, the form
// mongosh prints: plain numbers and strings ({"maxWireVersion": 21}), not
// the canonical type wrappers ({"$numberInt": "21"}). Dates, ObjectIds and
// binary data keep their wrappers. A reply that is not valid BSON is shown
// as the driver's own rendering of it.
func RelaxedJSON(reply bson.Raw) string {
	b, err := bson.MarshalExtJSON(reply, false, false)
	if err != nil {
		return reply.String()
	}
	return string(b)
}
