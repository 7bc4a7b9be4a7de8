package wireprobe

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// SASLAnswer is a server's answer to one saslSupportedMechs question.
type SASLAnswer struct {
	// Question is "<db>.<user>" as asked.
	Question string
	// Mechanisms are the mechanisms the user has credentials for.
	Mechanisms []string
	// Known is true when the reply holds the field: a server (4.0 and
	// later) leaves it out for a user that does not exist in that
	// database.
	Known bool
}

// DB is the database of the question: a database name holds no dot, a
// user name may.
func (a SASLAnswer) DB() string {
	db, _, _ := strings.Cut(a.Question, ".")
	return db
}

func saslAnswerOf(question string, reply bson.Raw) SASLAnswer {
	a := SASLAnswer{Question: question}
	if _, err := reply.LookupErr("saslSupportedMechs"); err == nil {
		a.Known = true
		a.Mechanisms = helloStrings(reply, "saslSupportedMechs")
	}
	return a
}

// WrongSource applies auth.wrong-source's rule to the answers about one
// user: unknown in source, the database the driver authenticates
// against, and known in another database asked (the first such one, in
// the order asked), which it returns. It needs the answer for source:
// without it nothing is known.
func WrongSource(source string, answers []SASLAnswer) (SASLAnswer, bool) {
	unknownInSource := false
	for _, a := range answers {
		if a.DB() == source {
			if a.Known {
				return SASLAnswer{}, false
			}
			unknownInSource = true
		}
	}
	if !unknownInSource {
		return SASLAnswer{}, false
	}
	for _, a := range answers {
		if a.DB() != source && a.Known {
			return a, true
		}
	}
	return SASLAnswer{}, false
}
