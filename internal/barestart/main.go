// Command barestart is the yardstick of mongoconn's start-up cost
// (DESIGN.md §11: the CPU of `mongoconn version` within 1.1x of it): a
// program that links the Go driver, as every MongoDB application does,
// prints the wire versions the driver speaks and exits. With a connection
// string it would connect, so that the driver's client is linked whole;
// the benchmark never gives one.
package main

import (
	"fmt"
	"os"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

func main() {
	if len(os.Args) > 1 {
		if _, err := mongo.Connect(options.Client().ApplyURI(os.Args[1])); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("wire versions %d-%d\n", topology.SupportedWireVersions.Min, topology.SupportedWireVersions.Max)
}
