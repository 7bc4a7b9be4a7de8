// Command mongoconn tells why a MongoDB connection string does or does not
// work from this machine, and what to change.
package main

import (
	"os"

	"github.com/mongoconn/mongoconn/cmd"
)

func main() { os.Exit(cmd.Main()) }
