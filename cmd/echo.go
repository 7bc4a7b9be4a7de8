package cmd

import (
	"github.com/mongoconn/mongoconn/internal/render"
	"github.com/mongoconn/mongoconn/redact"
)

// messageWord bounds a word of the tool's own error and hint lines: one
// longer than this quotes its input rather than saying something, and is
// cut to an excerpt. Where a message is built, what it quotes is cut
// shorter still (redact.EchoLimit).
const messageWord = 2 * redact.EchoLimit

// messageLine makes s fit for a line of stderr: secrets masked, overlong
// words cut to an excerpt, control characters escaped.
func messageLine(s string) string {
	return render.Line(redact.ShortenWords(redact.Redact(s), messageWord))
}

// echo is a piece of the command line as a message quotes it: secrets
// masked, then cut to a short excerpt (a cut could part a password from
// the @ that marks it), control characters escaped when it is printed.
func echo(s string) string {
	return redact.Excerpt(redact.Redact(s), redact.EchoLimit)
}

// echoWords is a message that quotes the command line (an error naming a
// path or a flag's value), secrets masked, then every overlong word cut
// to an excerpt.
func echoWords(s string) string {
	return redact.ShortenWords(redact.Redact(s), redact.EchoLimit)
}
